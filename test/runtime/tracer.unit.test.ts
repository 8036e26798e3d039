import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * Loads the observability module in a fresh Node.js process (the tracer is chosen when it loads) and reports what
 * it made: whether there is a tracer, whether X-Ray's async-hook context (cls-hooked) was loaded, and whether an
 * SDK client passed through `traced` gained the X-Ray middleware.
 */
async function loadObservability(traceEnabled: string | undefined) {
  const script = `
    const { createRequire } = await import('node:module');
    const { tracer, traced } = await import('./shared/apps/runtime/observability.ts');
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const client = traced(new SQSClient({ region: 'eu-west-1' }));
    const stack = client.middlewareStack.identify().join(' ');
    const clsLoaded = Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('cls-hooked'));
    console.log(JSON.stringify({ tracer: tracer !== undefined, clsLoaded, xrayMiddleware: /xray|tracer/i.test(stack) }));
  `;
  // As on Lambda: the tracer traces only in its execution environment.
  const env = {
    ...process.env,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: 'writer',
    POWERTOOLS_TRACE_ENABLED: traceEnabled,
  };
  if (traceEnabled === undefined) delete env.POWERTOOLS_TRACE_ENABLED;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    tracer: boolean;
    clsLoaded: boolean;
    xrayMiddleware: boolean;
  };
}

describe('the tracer', () => {
  it('is made, and traces SDK clients, when tracing is on (on Lambda, POWERTOOLS_TRACE_ENABLED unset)', async () => {
    expect(await loadObservability(undefined)).toEqual({ tracer: true, clsLoaded: true, xrayMiddleware: true });
  });

  it('is not even loaded when tracing is off, so no async hook runs on every promise (the local stack)', async () => {
    expect(await loadObservability('false')).toEqual({ tracer: false, clsLoaded: false, xrayMiddleware: false });
  });
});
