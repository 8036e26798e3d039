import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import { METRICS_NAMESPACE, SEALER_SERVICE, type SealerMetric } from '../../shared/core/contracts/metrics.ts';
import type { Archive } from './archive.ts';
import { AuditFunction } from './audit-function.ts';
import type { EventDatabase } from './event-database.ts';
import type { LogSigningKey } from './log-signing-key.ts';
import type { Migrations } from './migrations.ts';

/** A checkpoint every minute, also when nothing arrived: a missing one is evidence (and alarms). */
export const SEAL_SCHEDULE = 'rate(1 minute)';
/** Events read per chunk of a round (the app's default); a round loops chunks until none is pending. */
export const SEAL_MAX_EVENTS = 50_000;

export interface LogSealerProps {
  envName: string;
  database: EventDatabase;
  archive: Archive;
  signingKey: LogSigningKey;
  migrations: Migrations;
}

/**
 * The sequencer of the tamper-evident log: every minute, one round seals the committed events into the Merkle log as
 * `audit_sealer`, signs a checkpoint with the KMS key and copies it (and the new leaf hashes) to the archive under
 * `log/`, where the bucket's Object Lock keeps it. One at a time: reserved concurrency 1, beside the round's advisory
 * lock in PostgreSQL.
 */
export class LogSealer extends Construct {
  readonly fn: AuditFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: LogSealerProps) {
    super(scope, id);
    const { database, archive, signingKey } = props;
    this.fn = new AuditFunction(this, 'Function', {
      service: SEALER_SERVICE,
      description: 'Seals committed events into the tamper-evident log and signs a checkpoint, every minute',
      // Ends before the next minute's round is due, so rounds rarely wait for the one slot.
      timeout: Duration.seconds(50),
      memorySize: 512,
      reservedConcurrentExecutions: 1,
      // A failed or late round is not worth repeating: the next minute's round seals what it left, from the same
      // position. A round still running holds the slot; the next event waits (throttled) at most a minute, then goes.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      network: database.clientNetwork,
      environment: {
        LOG_ID: `fleet-audit-${props.envName}`,
        // Keys start with `log/`, beside the archiver's `events/` (Archive.grantLogWriter).
        ARCHIVE_URL: `s3://${archive.bucket.bucketName}/`,
        SEAL_MAX_EVENTS: String(SEAL_MAX_EVENTS),
      },
    });
    database.addClient(this.fn, LOGIN_USERS.sealer);
    signingKey.grantSign(this.fn);
    // The archive bucket encrypts with SSE-S3 (Archive): no KMS key to grant for the copies.
    archive.grantLogWriter(this.fn);
    // The log's tables and the sealer's login come with the migrations.
    props.migrations.runBefore(this.fn);

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Seals the event log and signs a checkpoint',
      schedule: events.Schedule.expression(SEAL_SCHEDULE),
      targets: [new targets.LambdaFunction(this.fn)],
    });
  }

  /** One of a round's metrics (SEALER_METRICS), on the function's `service` dimension. */
  metric(name: SealerMetric, period: Duration, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: SEALER_SERVICE },
      statistic,
      period,
    });
  }
}
