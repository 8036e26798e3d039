/**
 * The metrics contract between the functions, which emit EMF metrics through Powertools, and infra, whose alarms and
 * dashboard read them. Every name is defined here once; neither side spells one out. Pure constants: no AWS imports.
 * Checked by test/infra/stateless.unit.test.ts ('the metrics contract': the template reads only what is emitted) and
 * test/contracts/single-definition.unit.test.ts (no source types a name out again).
 */

/**
 * The CloudWatch namespace of every metric the functions emit. Infra sets it as each function's
 * POWERTOOLS_METRICS_NAMESPACE (infra/constructs/audit-function.ts) and its alarms and dashboard read it;
 * shared/apps/runtime/observability.ts falls back to it when that variable is unset (locally, in tests).
 */
export const METRICS_NAMESPACE = 'FleetAuditTrail';

/**
 * The writer's metrics (shared/core/writer/event-metrics.ts), each with one dimension and without Powertools' default
 * `service` dimension: the CRITICAL alarm watches `Events{severity=CRITICAL}` (infra/constructs/writer.ts), the
 * dashboard SEARCHes `EventsByType{type}` (infra/constructs/operations-dashboard.ts).
 */
export const EVENT_METRICS = {
  bySeverity: { name: 'Events', dimension: 'severity' },
  byType: { name: 'EventsByType', dimension: 'type' },
} as const;

/** Powertools' default dimension: the function's POWERTOOLS_SERVICE_NAME. */
export const EMITTED_METRICS_DIMENSION_SERVICE = 'service';

/** What the IoT ingest function counts (functions/ingest-iot/handler.ts); no alarm reads them yet. */
export const INGEST_METRICS = {
  accepted: 'AcceptedEvents',
  rejected: 'RejectedEvents',
} as const;

/**
 * What a maintenance run emits once per run (shared/core/lifecycle/report.ts), with Powertools' default dimension only:
 * `service` = MAINTENANCE_SERVICE. Infra's maintenance alarms and the dashboard's archive row read them
 * (`Lifecycle.metric`, infra/constructs/lifecycle.ts).
 */
export const MAINTENANCE_METRICS = {
  runs: 'MaintenanceRuns',
  partitionsCreated: 'PartitionsCreated',
  partitionsArchived: 'PartitionsArchived',
  failures: 'MaintenanceFailures',
  continuations: 'MaintenanceContinuations',
  continuationsStopped: 'MaintenanceContinuationsStopped',
  /** Only with a Security Lake configured: months derived into OCSF objects, and derivations that failed. */
  lakeExports: 'SecurityLakeExports',
  lakeExportFailures: 'SecurityLakeExportFailures',
} as const;
export type MaintenanceMetric = (typeof MAINTENANCE_METRICS)[keyof typeof MAINTENANCE_METRICS];

/**
 * The maintenance function's service name: its folder under functions/, the POWERTOOLS_SERVICE_NAME infra gives it,
 * and so the `service` dimension its metrics carry (infra/constructs/lifecycle.ts uses it for all three).
 */
export const MAINTENANCE_SERVICE = 'maintenance';

/**
 * What the scheduled verification in maintenance emits (one datum per verification: its findings, 0 when the log is
 * intact; none when it did not run), with the maintenance function's `service` dimension; infra alarms on any
 * failure (infra/constructs/alarms.ts `addLogVerification`).
 */
export const VERIFICATION_METRICS = {
  failures: 'VerificationFailures',
} as const;
export type VerificationMetric = (typeof VERIFICATION_METRICS)[keyof typeof VERIFICATION_METRICS];

/**
 * What a sealing round emits, once per round, with Powertools' default dimension only: `service` = SEALER_SERVICE.
 * CheckpointNumber is emitted by every round, also one that sealed nothing: its absence alarms (a checkpoint is due
 * every minute). Infra reads them through `LogSealer.metric` (infra/constructs/log-sealer.ts).
 */
export const SEALER_METRICS = {
  eventsSealed: 'EventsSealed',
  lagSeconds: 'SealLagSeconds',
  checkpointNumber: 'CheckpointNumber',
} as const;
export type SealerMetric = (typeof SEALER_METRICS)[keyof typeof SEALER_METRICS];

/** The sealer's service name: its folder under functions/ and the `service` dimension of its metrics. */
export const SEALER_SERVICE = 'sealer';

/**
 * What the forwarder emits per sink after each round (shared/apps/streams/metrics.ts), each a metric of its own with
 * the one dimension `sink` (Powertools' `service` cleared): lag in events and in seconds (the age of the oldest sealed
 * event the sink has not received), deliveries, failed attempts and dead letters. Infra alarms per sink on the age
 * (infra/constructs/alarms.ts `addSinkLag`) and reads them through `SinkForwarder.metric`.
 */
export const SINK_METRICS = {
  lagEvents: 'SinkLagEvents',
  lagSeconds: 'SinkLagSeconds',
  delivered: 'SinkEventsDelivered',
  failures: 'SinkDeliveryFailures',
  deadLettered: 'SinkDeadLetters',
} as const;
export type SinkMetric = (typeof SINK_METRICS)[keyof typeof SINK_METRICS];
export const SINK_METRIC_DIMENSION = 'sink';

/** The forwarder's service name: its folder under functions/. */
export const FORWARDER_SERVICE = 'forwarder';

/** Every metric name a function emits. */
export type EmittedMetric =
  | (typeof EVENT_METRICS)[keyof typeof EVENT_METRICS]['name']
  | (typeof INGEST_METRICS)[keyof typeof INGEST_METRICS]
  | MaintenanceMetric
  | VerificationMetric
  | SealerMetric
  | SinkMetric;

/** Every metric name a function emits; infra may alarm on or chart only these in METRICS_NAMESPACE. */
export const EMITTED_METRICS: readonly EmittedMetric[] = [
  ...Object.values(EVENT_METRICS).map((metric) => metric.name),
  ...Object.values(INGEST_METRICS),
  ...Object.values(MAINTENANCE_METRICS),
  ...Object.values(VERIFICATION_METRICS),
  ...Object.values(SEALER_METRICS),
  ...Object.values(SINK_METRICS),
];
