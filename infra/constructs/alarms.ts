import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  MAINTENANCE_METRICS,
  SEALER_METRICS,
  SINK_METRICS,
  VERIFICATION_METRICS,
} from '../../shared/core/contracts/metrics.ts';
import type { EventQueue } from './event-queue.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { LogSealer } from './log-sealer.ts';
import type { SinkForwarder } from './sink-forwarder.ts';
import type { Writer } from './writer.ts';

/** An event waiting longer than this means the writer is not keeping up (or is down). */
export const OLDEST_MESSAGE_AGE_LIMIT = Duration.minutes(5);

/** A daily job with slack for a late or slow run: no `MaintenanceRuns` for this long means it stopped running. */
export const MAINTENANCE_SILENCE_LIMIT = Duration.hours(26);

/** The oldest committed event not yet sealed, for this long without a pause, means the sealer is behind (or stuck). */
export const SEAL_LAG_LIMIT = Duration.minutes(5);

/** No checkpoint for this long: the sealer signs one every minute, so several rounds in a row did not finish. */
export const CHECKPOINT_SILENCE_LIMIT = Duration.minutes(5);

/** A sink whose oldest undelivered sealed event is older than this, for as long, is behind (down, or refusing). */
export const SINK_LAG_LIMIT = Duration.minutes(15);

/**
 * The alarms of the trail, all notifying one SNS topic (an email subscription when `alarmEmail` is set). Each is named
 * `fleet-audit-<envName>/<id>`: readable in the notification, and the prefix the topic lets CloudWatch publish for.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: { envName: string; alarmEmail?: string }) {
    super(scope, id);
    // "/" cannot occur in an envName, so no other environment's alarm names start with this prefix.
    this.namePrefix = `fleet-audit-${props.envName}/`;
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `Fleet audit trail alarms (${props.envName})`,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy, and CloudWatch (a service principal) may publish only if that policy says
    // so; scoped to this account's alarms of this environment against the confused deputy.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${this.namePrefix}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.topic);
  }

  /** Any CRITICAL event written: at least one in a minute. */
  addCriticalEvents(writer: Writer): void {
    this.add(
      'CriticalEvents',
      'A CRITICAL audit event was written',
      writer.metricEvents('CRITICAL', Duration.minutes(1)),
      1,
    );
  }

  /** Messages given up on, and messages waiting too long. */
  addQueue(queue: EventQueue): void {
    this.addDeadLetters(
      'DeadLetters',
      'Audit events are in the dead-letter queue: they were never written',
      queue.deadLetterQueue,
    );
    this.add(
      'OldestMessageAge',
      `An audit event has waited more than ${OLDEST_MESSAGE_AGE_LIMIT.toMinutes()} minutes to be written`,
      queue.queue.metricApproximateAgeOfOldestMessage({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      OLDEST_MESSAGE_AGE_LIMIT.toSeconds(),
    );
  }

  /**
   * A queue of messages given up on (a dead-letter queue, an on-failure destination), which nothing drains on its own:
   * any visible message at all (ApproximateNumberOfMessagesVisible > 0 within a minute).
   */
  addDeadLetters(id: string, description: string, queue: sqs.IQueue): void {
    this.add(
      id,
      description,
      queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      1,
    );
  }

  /**
   * A function failing or being throttled. `throttlesExpectedBecause`: no throttle alarm, for a function whose
   * throttles are part of its design (say why).
   */
  addFunction(name: string, fn: lambda.IFunction, options: { throttlesExpectedBecause?: string } = {}): void {
    const period = Duration.minutes(5);
    this.add(`${name}Errors`, `${name} failed`, fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }), 1);
    if (options.throttlesExpectedBecause) return;
    this.add(
      `${name}Throttles`,
      `${name} was throttled`,
      fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
      1,
    );
  }

  /**
   * Maintenance and archival: a run that reported failure (archival runs inside maintenance, so a failed export,
   * upload or verification fails the run), a chain of continuations that reached its bound with work left, and no
   * run at all for 26 hours. Crashes and timeouts, which end before metrics are flushed, alarm through
   * `addFunction`'s Errors alarm.
   */
  addMaintenance(lifecycle: Lifecycle): void {
    this.add(
      'MaintenanceFailed',
      'Partition maintenance or archival failed: see the maintenance function logs',
      lifecycle.metric(MAINTENANCE_METRICS.failures, Duration.hours(1)),
      1,
    );
    this.add(
      'MaintenanceContinuationsStopped',
      'An archival paused after the most continuations a chain may make: it resumes on the next daily run. ' +
        'Raise MAINTENANCE_MAX_CONTINUATIONS if a month needs more, or see why it makes no progress',
      lifecycle.metric(MAINTENANCE_METRICS.continuationsStopped, Duration.hours(1)),
      1,
    );
    // 26 hourly periods: CloudWatch allows Period x EvaluationPeriods up to 7 days once the period is an hour or
    // more (1 day below that), so a single 26-hour period is not possible but 26 x 1 h is. Missing data breaches:
    // a run emits MaintenanceRuns = 1, silence is exactly what this alarm is for.
    const period = Duration.hours(1);
    this.add(
      'MaintenanceNotRun',
      `Partition maintenance has not run for ${MAINTENANCE_SILENCE_LIMIT.toHours()} hours`,
      lifecycle.metric(MAINTENANCE_METRICS.runs, period),
      1,
      {
        evaluationPeriods: MAINTENANCE_SILENCE_LIMIT.toHours() / period.toHours(),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
  }

  /**
   * The tamper-evident log's sealer: lagging (SealLagSeconds above SEAL_LAG_LIMIT in every minute for as long), and no
   * checkpoint at all for CHECKPOINT_SILENCE_LIMIT. Every round emits CheckpointNumber, also one that sealed nothing,
   * so missing data is exactly a missing checkpoint and breaches. Crashes and timeouts alarm through `addFunction`.
   */
  addSealer(sealer: LogSealer): void {
    const minute = Duration.minutes(1);
    const lagPeriods = SEAL_LAG_LIMIT.toMinutes() / minute.toMinutes();
    this.add(
      'SealLag',
      `Committed events have waited more than ${SEAL_LAG_LIMIT.toSeconds()} s to be sealed, for ${lagPeriods} minutes: see the sealer logs`,
      sealer.metric(SEALER_METRICS.lagSeconds, minute, cloudwatch.Stats.MAXIMUM),
      SEAL_LAG_LIMIT.toSeconds(),
      {
        evaluationPeriods: lagPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    this.add(
      'CheckpointsMissing',
      `No checkpoint of the event log was signed for ${CHECKPOINT_SILENCE_LIMIT.toMinutes()} minutes (one is due every minute)`,
      sealer.metric(SEALER_METRICS.checkpointNumber, CHECKPOINT_SILENCE_LIMIT, cloudwatch.Stats.SAMPLE_COUNT),
      1,
      {
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
  }

  /**
   * Per sink: its oldest undelivered sealed event older than SINK_LAG_LIMIT in every 5 minutes for as long (a sink
   * down, failing, or slower than the log grows), and no lag figure at all for as long (the forwarder stopped
   * running: every round emits SinkLagSeconds per sink, 0 when caught up). A dead letter alarms at once.
   */
  addSinkLag(forwarder: SinkForwarder, sinks: readonly string[]): void {
    const period = Duration.minutes(5);
    const periods = SINK_LAG_LIMIT.toMinutes() / period.toMinutes();
    for (const sink of sinks) {
      this.add(
        `SinkLag-${sink}`,
        `Sink ${sink} has not received sealed events for more than ${SINK_LAG_LIMIT.toMinutes()} minutes: see trail stream status and the forwarder logs`,
        forwarder.metric(SINK_METRICS.lagSeconds, sink, period, cloudwatch.Stats.MINIMUM),
        SINK_LAG_LIMIT.toSeconds(),
        {
          evaluationPeriods: periods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      );
      this.add(
        `SinkDeadLetters-${sink}`,
        `Sink ${sink} refused an event for good: it is in sink_dead_letters (trail stream status)`,
        forwarder.metric(SINK_METRICS.deadLettered, sink, period, cloudwatch.Stats.SUM),
        1,
      );
    }
  }

  /** With a Security Lake configured: a month whose OCSF derivation failed (it is retried by the next run). */
  addSecurityLakeExports(lifecycle: Lifecycle): void {
    this.add(
      'SecurityLakeExportFailed',
      'Deriving an archived month into OCSF objects for Security Lake failed: the month is archived all the same, ' +
        'and the next maintenance run tries again; see the maintenance function logs',
      lifecycle.metric(MAINTENANCE_METRICS.lakeExportFailures, Duration.hours(1)),
      1,
    );
  }

  /** Maintenance's scheduled verification of the log found a divergence (its logs name the first one). */
  addLogVerification(lifecycle: Lifecycle): void {
    this.add(
      'LogVerificationFailed',
      'The scheduled verification of the tamper-evident log found a divergence: see the maintenance function logs',
      lifecycle.metric(VERIFICATION_METRICS.failures, Duration.hours(1)),
      1,
    );
  }

  private add(
    id: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    options: Partial<Pick<cloudwatch.AlarmProps, 'evaluationPeriods' | 'comparisonOperator' | 'treatMissingData'>> = {},
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.namePrefix}${id}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no events, no messages, no invocations.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }
}
