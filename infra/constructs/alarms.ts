import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EventQueue } from './event-queue.ts';
import type { Writer } from './writer.ts';

/** An event waiting longer than this means the writer is not keeping up (or is down). */
export const OLDEST_MESSAGE_AGE_LIMIT = Duration.minutes(5);

/** The alarms of the trail, all notifying one SNS topic (an email subscription when `alarmEmail` is set). */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: { alarmEmail?: string }) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Fleet audit trail alarms', enforceSSL: true });
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
    this.add(
      'DeadLetters',
      'Audit events are in the dead-letter queue: they were never written',
      queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      1,
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

  /** A function failing or being throttled. */
  addFunction(name: string, fn: lambda.IFunction): void {
    const period = Duration.minutes(5);
    this.add(`${name}Errors`, `${name} failed`, fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }), 1);
    this.add(
      `${name}Throttles`,
      `${name} was throttled`,
      fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
      1,
    );
  }

  private add(id: string, description: string, metric: cloudwatch.IMetric, threshold: number): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no events, no messages, no invocations.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }
}
