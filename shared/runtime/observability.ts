import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Made once for every function: one logger, one metrics buffer, one tracer (env: POWERTOOLS_*, LOG_LEVEL). */
export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME ?? 'fleet-audit-trail';
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'FleetAuditTrail';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
