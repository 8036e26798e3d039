import { Duration } from 'aws-cdk-lib';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { AuditFunction } from './audit-function.ts';
import { type EventDatabase, OWNER } from './event-database.ts';

/** Applies the schema migrations at every deploy that changes them, as the owner, before anything writes. */
export class Migrations extends Construct {
  readonly fn: AuditFunction;
  readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: { database: EventDatabase }) {
    super(scope, id);
    const timeout = Duration.minutes(5);
    this.fn = new AuditFunction(this, 'Function', {
      service: 'migrate',
      description: 'Applies the event store schema migrations',
      timeout,
      network: props.database.clientNetwork,
    });
    props.database.addClient(this.fn, OWNER);
    props.database.grantSetLoginPasswords(this.fn);
    // Synchronous: a failed migration fails the deploy.
    this.trigger = new triggers.Trigger(this, 'Run', {
      handler: this.fn,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout,
      executeOnHandlerChange: true,
    });
  }

  /** Deploys these constructs only after the migrations succeeded. */
  runBefore(...constructs: Construct[]): void {
    this.trigger.executeBefore(...constructs);
  }
}
