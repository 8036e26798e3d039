import {
  EMITTED_METRICS_DIMENSION_SERVICE,
  type EmittedMetric,
  EVENT_METRICS,
  SINK_METRIC_DIMENSION,
} from './metrics.ts';

/** Powertools' default dimension, which every metric but the writer's keeps. */
const SERVICE = [EMITTED_METRICS_DIMENSION_SERVICE] as const;
/** The forwarder's metrics carry the sink's name alone (Powertools' `service` cleared). */
const SINK = [SINK_METRIC_DIMENSION] as const;

/**
 * The local stack's Prometheus names (`GET /metrics`, shared/adapters/prometheus/), the contract between it and what
 * reads them: ops/grafana/trail-dashboard.json and ops/prometheus/trail-alerts.yml (test/ops/ checks both against a
 * running stack's exposition). Pure constants: no prom-client imports.
 */
export const PROMETHEUS_PREFIX = 'trail_';

/** How an EMF datum becomes a Prometheus sample: added to a counter, or the last value of a gauge. */
export type PrometheusKind = 'counter' | 'gauge';

/**
 * Every metric the functions emit as EMF (metrics.ts), as the local stack exposes it: the same figure under a
 * Prometheus name, its EMF dimensions as labels (Powertools' `service` included). A record over `EmittedMetric`, so a
 * metric added to the EMF contract fails to compile until it is named here too.
 */
export const EMF_AS_PROMETHEUS: Record<
  EmittedMetric,
  { name: string; kind: PrometheusKind; labels: readonly string[]; help: string }
> = {
  Events: {
    name: 'trail_events_total',
    kind: 'counter',
    labels: [EVENT_METRICS.bySeverity.dimension],
    help: 'events stored, by severity',
  },
  EventsByType: {
    name: 'trail_events_by_type_total',
    kind: 'counter',
    labels: [EVENT_METRICS.byType.dimension],
    help: 'events stored, by type',
  },
  AcceptedEvents: {
    name: 'trail_ingest_accepted_events_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'MQTT events queued',
  },
  RejectedEvents: {
    name: 'trail_ingest_rejected_events_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'MQTT events refused',
  },
  MaintenanceRuns: { name: 'trail_maintenance_runs_total', kind: 'counter', labels: SERVICE, help: 'maintenance runs' },
  PartitionsCreated: {
    name: 'trail_partitions_created_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'monthly partitions made',
  },
  PartitionsArchived: {
    name: 'trail_partitions_archived_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'months archived',
  },
  MaintenanceFailures: {
    name: 'trail_maintenance_failures_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'failed maintenance runs',
  },
  MaintenanceContinuations: {
    name: 'trail_maintenance_continuations_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'maintenance runs continued',
  },
  MaintenanceContinuationsStopped: {
    name: 'trail_maintenance_continuations_stopped_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'maintenance chains stopped at their bound',
  },
  VerificationFailures: {
    name: 'trail_verification_findings',
    kind: 'gauge',
    labels: SERVICE,
    help: "the last scheduled log verification's findings (0: intact)",
  },
  EventsSealed: {
    name: 'trail_events_sealed_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'events sealed into the log',
  },
  SealLagSeconds: {
    name: 'trail_seal_lag_seconds',
    kind: 'gauge',
    labels: SERVICE,
    help: 'age of the oldest unsealed event',
  },
  CheckpointNumber: {
    name: 'trail_checkpoint_number',
    kind: 'gauge',
    labels: SERVICE,
    help: 'the newest signed checkpoint',
  },
  SecurityLakeExports: {
    name: 'trail_security_lake_exports_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'archived months derived into OCSF objects for Security Lake',
  },
  SecurityLakeExportFailures: {
    name: 'trail_security_lake_export_failures_total',
    kind: 'counter',
    labels: SERVICE,
    help: 'derivations into Security Lake that failed (retried at the next run)',
  },
  SinkLagEvents: {
    name: 'trail_sink_lag_events',
    kind: 'gauge',
    labels: SINK,
    help: 'sealed events a sink has not received',
  },
  SinkLagSeconds: {
    name: 'trail_sink_lag_seconds',
    kind: 'gauge',
    labels: SINK,
    help: 'age of the oldest sealed event a sink has not received',
  },
  SinkEventsDelivered: {
    name: 'trail_sink_events_delivered_total',
    kind: 'counter',
    labels: SINK,
    help: 'events a sink acknowledged',
  },
  SinkDeliveryFailures: {
    name: 'trail_sink_delivery_failures_total',
    kind: 'counter',
    labels: SINK,
    help: 'failed delivery attempts (retried with backoff)',
  },
  SinkDeadLetters: {
    name: 'trail_sink_dead_letters_total',
    kind: 'counter',
    labels: SINK,
    help: 'events a sink refused alone, set aside',
  },
};

/**
 * What CloudWatch measures itself on AWS (SQS queue attributes, Lambda Duration and Errors) and the local stack
 * measures for `/metrics`: the queues at each scrape, the writer around each invocation.
 */
export const LOCAL_PROMETHEUS_METRICS = {
  /** Labels `queue` (QUEUE_LABELS) and `state` (`visible`, `in_flight`). */
  queueMessages: 'trail_queue_messages',
  /** Seconds the oldest waiting message of the events queue has waited (0: none); label `queue`. */
  queueOldestAge: 'trail_queue_oldest_message_age_seconds',
  /** Histogram of the writer's invocations. */
  writerDuration: 'trail_writer_duration_seconds',
  /** Label `outcome`: `ok`, `partial` (some messages reported failed), `error` (the invocation threw). */
  writerInvocations: 'trail_writer_invocations_total',
  /** The last maintenance run's start, Unix seconds; with `trail_maintenance_next_run_timestamp_seconds`. */
  maintenanceLastRun: 'trail_maintenance_last_run_timestamp_seconds',
  maintenanceNextRun: 'trail_maintenance_next_run_timestamp_seconds',
} as const;

export const QUEUE_LABELS = { events: 'events', deadLetters: 'dead-letters' } as const;
