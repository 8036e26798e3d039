import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import { EVENT_METRICS, METRICS_NAMESPACE } from '../../shared/core/contracts/metrics.ts';
import type { Severity } from '../../shared/core/domain/severity.ts';
import type { AlertTopic } from './alert-topic.ts';
import { AuditFunction } from './audit-function.ts';
import type { EventDatabase } from './event-database.ts';
import type { EventQueue } from './event-queue.ts';

const SERVICE = 'writer';

/** Drains the queue into PostgreSQL as `audit_writer`, then publishes the CRITICAL events of each batch. */
export class Writer extends Construct {
  static readonly TIMEOUT = Duration.seconds(30);
  readonly fn: AuditFunction;

  constructor(scope: Construct, id: string, props: { queue: EventQueue; database: EventDatabase; alerts: AlertTopic }) {
    super(scope, id);
    this.fn = new AuditFunction(this, 'Function', {
      service: SERVICE,
      description: 'Writes queued audit events to PostgreSQL; publishes CRITICAL ones',
      timeout: Writer.TIMEOUT,
      memorySize: 512,
      network: props.database.clientNetwork,
    });
    props.queue.addConsumer(this.fn, { maxConcurrency: 20 });
    props.database.addClient(this.fn, LOGIN_USERS.writer);
    props.alerts.addPublisher(this.fn);
  }

  /** Events written, per severity: the writer's EMF metric, emitted with the `severity` dimension only. */
  metricEvents(severity: Severity, period = Duration.minutes(1)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: EVENT_METRICS.bySeverity.name,
      dimensionsMap: { [EVENT_METRICS.bySeverity.dimension]: severity },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }
}
