import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  EVENT_METRICS,
  MAINTENANCE_METRICS,
  METRICS_NAMESPACE,
  SEALER_METRICS,
  VERIFICATION_METRICS,
} from '../../shared/core/contracts/metrics.ts';
import { SEVERITIES } from '../../shared/core/domain/severity.ts';
import type { EventDatabase } from './event-database.ts';
import type { EventQueue } from './event-queue.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { LogSealer } from './log-sealer.ts';
import type { Writer } from './writer.ts';

const MINUTE = Duration.minutes(1);

/** One CloudWatch dashboard for the trail; each `add*` appends a row. */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: { envName: string }) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `fleet-audit-${props.envName}`,
      defaultInterval: Duration.hours(3),
    });
  }

  addEventRates(writer: Writer): void {
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events written per minute, by severity',
        left: SEVERITIES.map((severity) => writer.metricEvents(severity, MINUTE).with({ label: severity })),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Events written per minute, by type',
        // SEARCH lists every type the writer has emitted, without the dashboard knowing the catalog.
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},${EVENT_METRICS.byType.dimension}} MetricName="${EVENT_METRICS.byType.name}"', 'Sum', 60)`,
            label: '',
            period: MINUTE,
          }),
        ],
        stacked: true,
        width: 12,
      }),
    );
  }

  addQueue(queue: EventQueue): void {
    const max = { statistic: cloudwatch.Stats.MAXIMUM, period: MINUTE };
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth',
        left: [
          queue.queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'waiting' }),
          queue.queue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'in flight' }),
          queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'dead letters' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Oldest waiting event (s)',
        left: [queue.queue.metricApproximateAgeOfOldestMessage(max)],
        width: 12,
      }),
    );
  }

  addFunction(name: string, fn: lambda.IFunction): void {
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${name} duration (ms)`,
        left: [
          fn.metricDuration({ statistic: cloudwatch.Stats.p(50), period: MINUTE, label: 'p50' }),
          fn.metricDuration({ statistic: cloudwatch.Stats.p(99), period: MINUTE, label: 'p99' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: `${name} invocations`,
        left: [
          fn.metricInvocations({ period: MINUTE }),
          fn.metricErrors({ period: MINUTE }),
          fn.metricThrottles({ period: MINUTE }),
        ],
        width: 12,
      }),
    );
  }

  addDatabase(database: EventDatabase): void {
    const avg = { statistic: cloudwatch.Stats.AVERAGE, period: MINUTE };
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Database load',
        left: [
          database.cluster.metric('ServerlessDatabaseCapacity', { ...avg, label: 'capacity (ACU)' }),
          database.cluster.metric('ACUUtilization', { ...avg, label: 'ACU utilization (%)' }),
          database.cluster.metricCPUUtilization({ ...avg, label: 'CPU (%)' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Database connections',
        left: [database.cluster.metricDatabaseConnections(avg)],
        width: 12,
      }),
    );
  }

  /** The tamper-evident log: what each round sealed, how far behind it is, and the checkpoints it signed. */
  addSealing(sealer: LogSealer): void {
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events sealed per minute',
        left: [sealer.metric(SEALER_METRICS.eventsSealed, MINUTE, cloudwatch.Stats.SUM).with({ label: 'sealed' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Seal lag (s)',
        left: [sealer.metric(SEALER_METRICS.lagSeconds, MINUTE, cloudwatch.Stats.MAXIMUM).with({ label: 'lag' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Latest checkpoint number',
        left: [
          sealer
            .metric(SEALER_METRICS.checkpointNumber, MINUTE, cloudwatch.Stats.MAXIMUM)
            .with({ label: 'checkpoint' }),
        ],
        width: 8,
      }),
    );
  }

  /** What each maintenance run did; a daily job, so hourly sums. */
  addArchiveRuns(lifecycle: Lifecycle): void {
    const hour = Duration.hours(1);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Archive runs',
        left: [
          lifecycle.metric(MAINTENANCE_METRICS.partitionsArchived, hour).with({ label: 'months archived' }),
          lifecycle.metric(MAINTENANCE_METRICS.partitionsCreated, hour).with({ label: 'partitions created' }),
          lifecycle.metric(MAINTENANCE_METRICS.failures, hour).with({ label: 'failed runs' }),
          lifecycle.metric(VERIFICATION_METRICS.failures, hour).with({ label: 'log verification failures' }),
        ],
        width: 24,
      }),
    );
  }
}
