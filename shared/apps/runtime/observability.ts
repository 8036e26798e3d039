import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE } from '../../core/contracts/metrics.ts';

/** Made once for every function: one logger, one metrics buffer, one tracer (env: POWERTOOLS_*, LOG_LEVEL). */
export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME ?? 'fleet-audit-trail';
/** Infra sets POWERTOOLS_METRICS_NAMESPACE to the same contract constant; locally and in tests it is unset. */
const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;

export const logger = new Logger({ serviceName: SERVICE_NAME });

const NO_METRICS = 'No application metrics to publish';
/** Metrics' own messages go to our structured logger; "nothing to publish" is normal for a request that counted nothing. */
const metricsLog = {
  debug: (message: string, ...rest: unknown[]) => logger.debug(message, { details: rest }),
  info: (message: string, ...rest: unknown[]) => logger.info(message, { details: rest }),
  error: (message: string, ...rest: unknown[]) => logger.error(message, { details: rest }),
  warn: (message: string, ...rest: unknown[]) =>
    message.startsWith(NO_METRICS) ? logger.debug(message) : logger.warn(message, { details: rest }),
};

export const metrics = new Metrics({ namespace, serviceName: SERVICE_NAME, logger: metricsLog });
/**
 * The X-Ray tracer, or none when tracing is off (POWERTOOLS_TRACE_ENABLED=false: `trail start`, bench and chaos set
 * it before this module loads). Not merely disabled: loading aws-xray-sdk-core installs cls-hooked's async hooks,
 * which then run on every promise of the process, traced or not: about 4 % of the local stack's CPU
 * (`npm run bench -- --parts e2e --profile`).
 */
export const tracer: Tracer | undefined =
  process.env.POWERTOOLS_TRACE_ENABLED === 'false'
    ? undefined
    : new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: SERVICE_NAME });

/** An AWS SDK v3 client whose calls are traced as X-Ray subsegments when tracing is on; the client itself when off. */
export function traced<Client>(client: Client): Client {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}
