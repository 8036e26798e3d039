import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlingOptions, FUNCTION_RUNTIME, RUNTIME_PROVIDED_PACKAGES } from '../../infra/constructs/bundling.ts';
import { assetDirectory, auditFunctions, type Resource, synthesize } from './synth.ts';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const REPO_MODULES = path.join(REPO_ROOT, 'node_modules');
/** Every function of the repository: a folder under functions/ with a handler.ts. */
const SERVICES = readdirSync(path.join(REPO_ROOT, 'functions'))
  .filter((name) => existsSync(path.join(REPO_ROOT, 'functions', name, 'handler.ts')))
  .sort();

/** What the Lambda runtime does with the `Handler` setting: import the module, then look up the export. */
const IMPORT_HANDLER = `
const [url, name] = process.argv.slice(1);
try {
  const module = await import(url);
  console.log(JSON.stringify({ handler: typeof module[name] }));
} catch (error) {
  console.log(JSON.stringify({ error: { code: error.code, message: String(error.message).split('\\n')[0] } }));
}`;

type Loaded = { handler: string } | { error: { code?: string; message: string } };

/** The packages RUNTIME_PROVIDED_PACKAGES names (`name` or `@scope/*`), as installed in the repository. */
function runtimePackages(): string[] {
  return RUNTIME_PROVIDED_PACKAGES.flatMap((pattern) => {
    if (!pattern.includes('*')) return [pattern];
    if (!/^@[^/*]+\/\*$/.test(pattern)) throw new Error(`unsupported pattern ${pattern}: use a name or @scope/*`);
    const scope = pattern.slice(0, -2);
    return readdirSync(path.join(REPO_MODULES, scope)).map((name) => `${scope}/${name}`);
  });
}

/** The environment Lambda gives the function: its template variables (tokens as placeholders) and the reserved ones. */
function lambdaEnvironment(service: string, fn: Resource, taskRoot: string): Record<string, string> {
  const variables: Record<string, unknown> = fn.Properties.Environment?.Variables ?? {};
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'eu-central-1',
    AWS_DEFAULT_REGION: 'eu-central-1',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.Properties.Runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: service,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.Properties.MemorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    LAMBDA_TASK_ROOT: taskRoot,
    TZ: ':UTC',
    ...Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `unresolved-${Object.keys(value as object).join()}`,
      ]),
    ),
  };
}

/** Imports a module in a plain `node` (no vitest, no tsx) from `cwd`, as the runtime does at cold start. */
async function importInNode(file: string, exportName: string, cwd: string, env: Record<string, string>) {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', IMPORT_HANDLER, pathToFileURL(file).href, exportName],
    { cwd, env, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Loaded;
}

let sandbox: string;
let functions: Map<string, Resource>;
const loaded = new Map<string, Loaded>();
let probe: Loaded;

/**
 * The sandbox, outside the repository so its node_modules is not on the resolution path:
 *   <sandbox>/node_modules/  the runtime's packages: only RUNTIME_PROVIDED_PACKAGES, linked from the repository
 *   <sandbox>/<service>/     the function's asset as the synth staged it (the code in /var/task)
 */
beforeAll(async () => {
  // A sink configured, so that the forwarder (made only when there is one) is among the functions bundled.
  const synthesized = synthesize({ context: { sinks: 'webhook=https://siem.example/hook' } });
  functions = auditFunctions(synthesized.stateless);
  sandbox = await realpath(await mkdtemp(path.join(tmpdir(), 'audit-bundles-')));
  const runtimeModules = path.join(sandbox, 'node_modules');
  for (const pkg of runtimePackages()) {
    await mkdir(path.dirname(path.join(runtimeModules, pkg)), { recursive: true });
    await symlink(path.join(REPO_MODULES, pkg), path.join(runtimeModules, pkg), 'dir');
  }

  // zod is bundled into every function and is not a runtime package: importing it from the sandbox must fail.
  const probeDir = path.join(sandbox, 'probe');
  await mkdir(probeDir);
  await writeFile(path.join(probeDir, 'index.mjs'), "export { z as handler } from 'zod';\n");
  const probing = importInNode(path.join(probeDir, 'index.mjs'), 'handler', probeDir, { PATH: process.env.PATH ?? '' });

  const loading = [...functions].map(async ([service, fn]) => {
    const taskRoot = path.join(sandbox, service);
    await cp(assetDirectory(synthesized.assembly, fn), taskRoot, { recursive: true });
    const [moduleName, exportName] = (fn.Properties.Handler as string).split('.') as [string, string];
    const file = path.join(taskRoot, `${moduleName}.mjs`);
    const env = lambdaEnvironment(service, fn, taskRoot);
    loaded.set(service, await importInNode(file, exportName, taskRoot, env));
  });
  [probe] = await Promise.all([probing, ...loading]);
}, 300_000);

afterAll(async () => {
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

describe('function bundles, loaded as at a cold start', () => {
  it('exist for every functions/*/handler.ts', () => {
    expect([...functions.keys()].sort()).toEqual(SERVICES);
  });

  it('are loaded from a sandbox outside the repository that resolves no package it was not given', () => {
    expect(path.relative(REPO_ROOT, sandbox).startsWith('..')).toBe(true);
    const above: string[] = [];
    for (let dir = path.dirname(sandbox); ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'node_modules'))) above.push(dir);
      if (dir === path.dirname(dir)) break;
    }
    expect(above, 'a node_modules above the sandbox would make packages resolvable').toEqual([]);
    expect(probe).toMatchObject({ error: { code: 'ERR_MODULE_NOT_FOUND' } });
  });

  it.each(SERVICES)(
    '%s imports in plain node with only the runtime packages and its asset, and exports its handler',
    (service) => {
      const result = loaded.get(service);
      expect(result, JSON.stringify(result)).toEqual({ handler: 'function' });
    },
  );
});

describe('runtime', () => {
  const nodeMajor = (name: string) => Number(/^nodejs(\d+)\.x$/.exec(name)?.[1]);

  it('is the newest versioned Node.js runtime aws-cdk-lib offers', () => {
    const versioned = lambda.Runtime.ALL.filter(
      (runtime) => runtime.family === lambda.RuntimeFamily.NODEJS && !runtime.isVariable && nodeMajor(runtime.name) > 0,
    );
    const newest = Math.max(...versioned.map((runtime) => nodeMajor(runtime.name)));
    expect(nodeMajor(FUNCTION_RUNTIME.name)).toBe(newest);
    expect(newest).toBeGreaterThanOrEqual(22);
  });

  it('runs every function, and their bundles target its Node.js version', () => {
    for (const [service, fn] of functions) {
      expect(fn.Properties.Runtime, service).toBe(FUNCTION_RUNTIME.name);
    }
    const target = `node${nodeMajor(FUNCTION_RUNTIME.name)}`;
    expect(bundlingOptions().target).toBe(target);
    expect(bundlingOptions({ external: ['@duckdb/*'], copy: [] }).target).toBe(target);
  });
});
