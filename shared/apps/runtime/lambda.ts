import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from './observability.ts';

export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** The one middleware stack every function uses: logger context, EMF metrics flush, X-Ray segment (when tracing is on). */
export function withObservability<E, R>(handler: Handler<E, R>) {
  const stack = middy(handler);
  if (tracer) stack.use(captureLambdaHandler(tracer, { captureResponse: false }));
  return stack.use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
}

/**
 * A Lambda entry point whose dependencies are built on the first invocation, not at import: importing a handler
 * (the local stack, tests) never reads the environment or opens connections.
 */
export function lambdaHandler<E, R>(build: () => Handler<E, R>) {
  let built: Handler<E, R> | undefined;
  return withObservability<E, R>((event, context) => {
    built ??= build();
    return built(event, context);
  });
}
