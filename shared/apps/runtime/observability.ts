import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
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

/** One flush of a Metrics buffer: the EMF document Powertools prints on AWS. */
export type EmfDocument = ReturnType<Metrics['serializeMetrics']>;
let emfRoute: ((emf: EmfDocument) => void) | undefined;

/**
 * Locally: every flush of the functions' metrics goes to `listener` (the stack's Prometheus registry) instead of
 * stdout, whatever POWERTOOLS_METRICS_DISABLED says; returns what ends it. One route per process: the stack's.
 */
export function routeMetrics(listener: (emf: EmfDocument) => void): () => void {
  emfRoute = listener;
  return () => {
    if (emfRoute === listener) emfRoute = undefined;
  };
}

/** Powertools' Metrics, printing EMF as ever unless routeMetrics took the flushes; its single metrics alike. */
class RoutableMetrics extends Metrics {
  constructor(private readonly options: MetricsOptions) {
    super(options);
  }

  override publishStoredMetrics(): this {
    const route = emfRoute;
    if (!route) return super.publishStoredMetrics();
    try {
      if (this.hasStoredMetrics()) route(this.serializeMetrics());
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }

  override singleMetric(): Metrics {
    const { defaultDimensions: _ignored, ...options } = this.options;
    return new RoutableMetrics({ ...options, singleMetric: true });
  }
}

export const metrics: Metrics = new RoutableMetrics({ namespace, serviceName: SERVICE_NAME, logger: metricsLog });

/** A buffer of its own (a local thread's results, recorded by the main thread), flushed like `metrics`. */
export function newMetrics(serviceName: string): Metrics {
  return new RoutableMetrics({ namespace, serviceName, logger: metricsLog });
}
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
