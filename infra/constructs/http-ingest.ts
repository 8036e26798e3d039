import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { AuditFunction } from './audit-function.ts';
import type { EventQueue } from './event-queue.ts';
import type { EventsApi } from './events-api.ts';

/** `POST /events`: validates a batch of events and enqueues it. Needs no database, so it runs outside the VPC. */
export class HttpIngest extends Construct {
  readonly fn: AuditFunction;

  constructor(scope: Construct, id: string, props: { api: EventsApi; queue: EventQueue }) {
    super(scope, id);
    this.fn = new AuditFunction(this, 'Function', {
      service: 'ingest-http',
      description: 'POST /events: validates audit events and enqueues them',
      timeout: Duration.seconds(10),
    });
    props.queue.addProducer(this.fn);
    props.api.addRoute(apigw.HttpMethod.POST, '/events', this.fn);
  }
}
