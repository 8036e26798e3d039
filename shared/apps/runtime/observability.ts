import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
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
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
