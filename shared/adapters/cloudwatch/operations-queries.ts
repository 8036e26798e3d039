import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  EMITTED_METRICS_DIMENSION_SERVICE,
  EVENT_METRICS,
  MAINTENANCE_METRICS,
  MAINTENANCE_SERVICE,
  SEALER_METRICS,
  SEALER_SERVICE,
  VERIFICATION_METRICS,
} from '../../core/contracts/metrics.ts';
import { SEVERITIES, type Severity } from '../../core/domain/severity.ts';

/** What the operations view reads from CloudWatch: the events queue, the writer, and the trail's own namespace. */
export interface OperationsMetricsTarget {
  /** The trail's EMF namespace (POWERTOOLS_METRICS_NAMESPACE). */
  namespace: string;
  /** The events queue's name (AWS/SQS `QueueName`). */
  queueName: string;
  /** The writer function's name (AWS/Lambda `FunctionName`). */
  writerFunctionName: string;
}

/** The writer's window, as the local stack's (shared/apps/local/telemetry.ts) and one datapoint per query. */
export const WINDOW_SECONDS = 300;
/** The sealer, maintenance and verification emit once per round or run: minute datapoints tell each one's time. */
const MINUTE_SECONDS = 60;
/**
 * How far back the latest maintenance, verification and seal are looked for: a daily job, with one missed day to
 * spare. Older results are not known (null). Both periods divide it, so the buckets line up with the request's end.
 */
export const LOOKBACK_SECONDS = 2 * 24 * 60 * 60;

/** The query ids, which name the results (lowercase first, as GetMetricData requires). */
export const QUERY_IDS = {
  queueAge: 'queue_age',
  invocations: 'writer_invocations',
  errors: 'writer_errors',
  p99: 'writer_p99',
  events: (severity: Severity) => `events_${severity.toLowerCase()}`,
  checkpoint: 'seal_checkpoint',
  sealed: 'seal_sealed',
  sealLag: 'seal_lag',
  runs: 'maintenance_runs',
  created: 'maintenance_created',
  archived: 'maintenance_archived',
  failures: 'maintenance_failures',
  continuations: 'maintenance_continuations',
  stopped: 'maintenance_stopped',
  verification: 'verification_failures',
} as const;

type Dimensions = Record<string, string>;

function query(
  id: string,
  namespace: string,
  metricName: string,
  dimensions: Dimensions,
  stat: string,
  period: number,
): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Stat: stat,
      Period: period,
    },
    ReturnData: true,
  };
}

/**
 * Every query of the one GetMetricData call: AWS's metrics of the queue and the writer over the window, and the
 * trail's EMF metrics on the dimensions they are emitted with (shared/core/contracts/metrics.ts) by the minute.
 */
export function operationsQueries(target: OperationsMetricsTarget): MetricDataQuery[] {
  const { namespace } = target;
  const queue = { QueueName: target.queueName };
  const writer = { FunctionName: target.writerFunctionName };
  const sealer = { [EMITTED_METRICS_DIMENSION_SERVICE]: SEALER_SERVICE };
  const maintenance = { [EMITTED_METRICS_DIMENSION_SERVICE]: MAINTENANCE_SERVICE };
  const window = WINDOW_SECONDS;
  const minute = MINUTE_SECONDS;
  return [
    query(QUERY_IDS.queueAge, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', queue, 'Maximum', window),
    query(QUERY_IDS.invocations, 'AWS/Lambda', 'Invocations', writer, 'Sum', window),
    query(QUERY_IDS.errors, 'AWS/Lambda', 'Errors', writer, 'Sum', window),
    query(QUERY_IDS.p99, 'AWS/Lambda', 'Duration', writer, 'p99', window),
    ...SEVERITIES.map((severity) =>
      query(
        QUERY_IDS.events(severity),
        namespace,
        EVENT_METRICS.bySeverity.name,
        { [EVENT_METRICS.bySeverity.dimension]: severity },
        'Sum',
        window,
      ),
    ),
    query(QUERY_IDS.checkpoint, namespace, SEALER_METRICS.checkpointNumber, sealer, 'Maximum', minute),
    query(QUERY_IDS.sealed, namespace, SEALER_METRICS.eventsSealed, sealer, 'Sum', minute),
    query(QUERY_IDS.sealLag, namespace, SEALER_METRICS.lagSeconds, sealer, 'Maximum', minute),
    query(QUERY_IDS.runs, namespace, MAINTENANCE_METRICS.runs, maintenance, 'Sum', minute),
    query(QUERY_IDS.created, namespace, MAINTENANCE_METRICS.partitionsCreated, maintenance, 'Sum', minute),
    query(QUERY_IDS.archived, namespace, MAINTENANCE_METRICS.partitionsArchived, maintenance, 'Sum', minute),
    query(QUERY_IDS.failures, namespace, MAINTENANCE_METRICS.failures, maintenance, 'Sum', minute),
    query(QUERY_IDS.continuations, namespace, MAINTENANCE_METRICS.continuations, maintenance, 'Sum', minute),
    query(QUERY_IDS.stopped, namespace, MAINTENANCE_METRICS.continuationsStopped, maintenance, 'Sum', minute),
    query(QUERY_IDS.verification, namespace, VERIFICATION_METRICS.failures, maintenance, 'Sum', minute),
  ];
}
