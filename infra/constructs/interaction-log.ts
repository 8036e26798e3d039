import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import { AuditFunction } from './audit-function.ts';
import type { EventQueue } from './event-queue.ts';
import type { EventsApi } from './events-api.ts';

/**
 * The API-interaction log: every line of the API's access log (each request, refused ones included) is delivered by
 * a subscription filter to a function that enqueues it as an audit.api.request event. Needs no database: outside the VPC.
 */
export class InteractionLog extends Construct {
  readonly fn: AuditFunction;

  constructor(scope: Construct, id: string, props: { api: EventsApi; queue: EventQueue }) {
    super(scope, id);
    this.fn = new AuditFunction(this, 'Function', {
      service: 'interaction-log',
      description: 'API access log lines → audit.api.request events on the queue',
      timeout: Duration.seconds(30),
    });
    props.queue.addProducer(this.fn);
    new logs.SubscriptionFilter(this, 'AccessLogSubscription', {
      logGroup: props.api.accessLogs,
      destination: new destinations.LambdaDestination(this.fn),
      filterPattern: logs.FilterPattern.allEvents(),
    });
  }
}
