import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { AuditFunction } from './audit-function.ts';
import type { DatabaseUser, EventDatabase } from './event-database.ts';
import type { Migrations } from './migrations.ts';

/** Every minute: the sealer's checkpoint cadence, and the forwarder that follows the log. */
export const EVERY_MINUTE = 'rate(1 minute)';

export interface MinuteRoundProps {
  service: string;
  description: string;
  /** What the schedule's rule says it does. */
  ruleDescription: string;
  database: EventDatabase;
  /** The login the round connects as (its tables and the login come with the migrations). */
  login: DatabaseUser;
  migrations: Migrations;
  environment: Record<string, string>;
}

/**
 * A function that runs one round every minute, one at a time, in the database's subnets (the sealer, the forwarder):
 * it ends before the next minute's round is due, so rounds rarely wait for the one slot (reserved concurrency 1); a
 * failed or late round is not repeated, since the next one takes up from the position the last left in PostgreSQL;
 * a round still running holds the slot, and the next invocation waits (throttled) at most a minute, then goes.
 * Made in `scope` as `Function` and `EveryMinute`.
 */
export function minuteRound(scope: Construct, props: MinuteRoundProps): { fn: AuditFunction; schedule: events.Rule } {
  const fn = new AuditFunction(scope, 'Function', {
    service: props.service,
    description: props.description,
    timeout: Duration.seconds(50),
    memorySize: 512,
    reservedConcurrentExecutions: 1,
    retryAttempts: 0,
    maxEventAge: Duration.minutes(1),
    network: props.database.clientNetwork,
    environment: props.environment,
  });
  props.database.addClient(fn, props.login);
  props.migrations.runBefore(fn);
  const schedule = new events.Rule(scope, 'EveryMinute', {
    description: props.ruleDescription,
    schedule: events.Schedule.expression(EVERY_MINUTE),
    targets: [new targets.LambdaFunction(fn)],
  });
  return { fn, schedule };
}
