import { describe, expect, it } from 'vitest';
import { QUERY_ROUTES } from '../../shared/core/access/policy.ts';
import { openApiDocument } from '../../shared/core/query/openapi.ts';
import { ROUTE_QUERY_PARAMETERS as QUERY } from './route-parameters.ts';

type Parameter = { name: string; in: string; required: boolean };

describe('the OpenAPI document', () => {
  const document = openApiDocument();
  it.each(QUERY_ROUTES)('%s: listed with its path parameters and every query parameter its handler takes', (route) => {
    const [method, path] = route.split(' ') as [string, string];
    const operation = document.paths[path]?.[method.toLowerCase()] as { parameters?: Parameter[] } | undefined;
    expect(operation, route).toBeDefined();
    const parameters = operation?.parameters ?? [];
    const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
    expect(parameters.filter((p) => p.in === 'path').every((p) => p.required)).toBe(true);
    expect(
      parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual([...QUERY[route]].sort());
  });
});
