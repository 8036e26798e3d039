import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { hasAnyRole, principalFromClaims } from '../../shared/ingest/principal.ts';
import { type Clock, type EventReader, systemClock } from '../../shared/ports/index.ts';
import { parseListParams } from '../../shared/query/list-params.ts';
import { jsonResponse } from '../../shared/runtime/http.ts';
import { lambdaHandler } from '../../shared/runtime/lambda.ts';
import { InvalidCursorError, PgEventStore } from '../../shared/store/pg-event-store.ts';
import { createPool, databaseOptionsFromEnv } from '../../shared/store/pool.ts';

export interface QueryApiDeps {
  reader: EventReader;
  clock?: Clock;
}

const MAY_READ = ['admin', 'auditor', 'operator'] as const;

/** GET /events: newest first, filtered by entity, type (or prefix.*), severity, since/until; keyset pages. */
export function createQueryApiHandler({ reader, clock = systemClock }: QueryApiDeps) {
  return async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
    const principal = principalFromClaims(event.requestContext.authorizer?.jwt?.claims);
    if (!principal)
      return jsonResponse(401, { error: 'missing or invalid credentials: send Authorization: Bearer <token>' });
    if (!hasAnyRole(principal, MAY_READ)) {
      return jsonResponse(403, { error: `role ${principal.roles.join(',') || '(none)'} may not read events` });
    }
    const params = parseListParams(event.queryStringParameters ?? {}, clock());
    if (!params.ok)
      return jsonResponse(400, {
        error: `query parameter ${params.parameter}: ${params.message}`,
        parameter: params.parameter,
      });
    try {
      return jsonResponse(200, await reader.list(params.filter));
    } catch (error) {
      if (error instanceof InvalidCursorError)
        return jsonResponse(400, { error: `query parameter cursor: ${error.message}`, parameter: 'cursor' });
      throw error;
    }
  };
}

export const handler = lambdaHandler(() => {
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  return createQueryApiHandler({ reader: new PgEventStore(pool) });
});
