import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { IOT_RULE_SQL, IOT_RULE_SQL_VERSION } from '../../shared/core/ingest/iot-message.ts';
import type { AlertTopic } from './alert-topic.ts';
import { AuditFunction } from './audit-function.ts';
import type { EventQueue } from './event-queue.ts';

/**
 * The device's bytes travel as one base64 value beside the rule's fields, so a device cannot write those. The thing
 * name is taken from the topic, and the policy below ties that topic to the connected thing.
 */
export const INGEST_RULE_SQL = IOT_RULE_SQL;
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, resolved by IoT Core per connection
const THING = '${iot:Connection.Thing.ThingName}';

/** Lambda's own defaults for asynchronous invocations, stated so the template shows them. */
export const ASYNC_RETRY_ATTEMPTS = 2;
export const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

/**
 * MQTT ingest: things publish on `audit/<thing>/events`; a topic rule invokes the ingest function (IoT's SQS action
 * cannot send to FIFO queues). Nothing a device sent is dropped silently:
 * - messages the rule fails to hand to Lambda are kept, with the error, in a log group (the rule's error action);
 * - the rule invokes asynchronously, so an invocation that still fails after Lambda's retries (the queue down, a
 *   crash, a timeout) goes to an SQS queue as Lambda's on-failure record, whose `requestPayload` is the rule event.
 */
export class IotIngest extends Construct {
  readonly fn: AuditFunction;
  readonly rule: iot.CfnTopicRule;
  readonly failedMessages: logs.LogGroup;
  /** On-failure destination of the ingest function: one invocation record per rule event given up on. */
  readonly failedInvocations: sqs.Queue;
  readonly devicePolicy: iot.CfnPolicy;

  constructor(scope: Construct, id: string, props: { queue: EventQueue; alerts: AlertTopic }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.fn = new AuditFunction(this, 'Function', {
      service: 'ingest-iot',
      description: 'IoT rule audit/+/events: validates audit events and enqueues them',
      timeout: Duration.seconds(10),
    });
    props.queue.addProducer(this.fn);

    // Lambda destinations take standard queues only. Retention 14 days (the SQS maximum) leaves time to replay.
    this.failedInvocations = new sqs.Queue(this, 'FailedInvocations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.fn.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.failedInvocations),
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
    });
    NagSuppressions.addResourceSuppressions(this.failedInvocations, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue: the on-failure destination of the ingest function, read and replayed by operators',
      },
    ]);

    // A log group rather than a bucket: failed messages are few and small, searchable with Logs Insights, and expire.
    this.failedMessages = new logs.LogGroup(this, 'FailedMessages', { retention: logs.RetentionDays.ONE_YEAR });
    const errorActionRole = new iam.Role(this, 'ErrorActionRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'IoT rule error action: writes undeliverable audit messages to their log group',
    });
    this.failedMessages.grantWrite(errorActionRole);
    this.failedMessages.grant(errorActionRole, 'logs:DescribeLogStreams');

    this.rule = new iot.CfnTopicRule(this, 'Rule', {
      topicRulePayload: {
        description: 'Device audit events to the ingest function',
        sql: INGEST_RULE_SQL,
        awsIotSqlVersion: IOT_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [{ lambda: { functionArn: this.fn.functionArn } }],
        errorAction: {
          cloudwatchLogs: { logGroupName: this.failedMessages.logGroupName, roleArn: errorActionRole.roleArn },
        },
      },
    });
    this.fn.addPermission('InvokedByIngestRule', {
      principal: new iam.ServicePrincipal('iot.amazonaws.com'),
      sourceArn: this.rule.attrArn,
      sourceAccount: stack.account,
    });

    // Attach to each thing's certificate: connect as itself, publish only on its own topic, hear critical alerts.
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'iot', resource, resourceName });
    this.devicePolicy = new iot.CfnPolicy(this, 'DevicePolicy', {
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: arn('client', THING),
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          },
          { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic', `audit/${THING}/events`) },
          { Effect: 'Allow', Action: 'iot:Subscribe', Resource: props.alerts.topicFilterArn },
          { Effect: 'Allow', Action: 'iot:Receive', Resource: props.alerts.topicArn },
        ],
      },
    });
  }
}
