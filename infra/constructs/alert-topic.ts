import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';

/** The IoT topic every CRITICAL event is published on, for dashboards and devices on the floor. */
export class AlertTopic extends Construct {
  readonly topicArn: string;
  readonly topicFilterArn: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: { iotDataEndpoint: string },
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topicArn = stack.formatArn({ service: 'iot', resource: 'topic', resourceName: CRITICAL_ALERT_TOPIC });
    this.topicFilterArn = stack.formatArn({
      service: 'iot',
      resource: 'topicfilter',
      resourceName: CRITICAL_ALERT_TOPIC,
    });
  }

  /** Lets a function publish alerts (`ALERT_TOPIC`, `IOT_ENDPOINT`), on this topic only. */
  addPublisher(fn: lambda.Function): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iot:Publish'], resources: [this.topicArn] }));
    fn.addEnvironment('ALERT_TOPIC', CRITICAL_ALERT_TOPIC);
    fn.addEnvironment('IOT_ENDPOINT', this.props.iotDataEndpoint);
  }
}
