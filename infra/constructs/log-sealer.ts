import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import { METRICS_NAMESPACE, SEALER_SERVICE, type SealerMetric } from '../../shared/core/contracts/metrics.ts';
import type { Archive } from './archive.ts';
import type { AuditFunction } from './audit-function.ts';
import type { EventDatabase } from './event-database.ts';
import type { LogSigningKey } from './log-signing-key.ts';
import type { Migrations } from './migrations.ts';
import { minuteRound } from './minute-round.ts';

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
  // A checkpoint every minute (minuteRound), also when nothing arrived: a missing one is evidence (and alarms).
  readonly fn: AuditFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: LogSealerProps) {
    super(scope, id);
    const { database, archive, signingKey } = props;
    ({ fn: this.fn, schedule: this.schedule } = minuteRound(this, {
      service: SEALER_SERVICE,
      description: 'Seals committed events into the tamper-evident log and signs a checkpoint, every minute',
      ruleDescription: 'Seals the event log and signs a checkpoint',
      database,
      // The log's tables and the sealer's login come with the migrations.
      login: LOGIN_USERS.sealer,
      migrations: props.migrations,
      environment: {
        LOG_ID: `fleet-audit-${props.envName}`,
        // Keys start with `log/`, beside the archiver's `events/` (Archive.grantLogWriter).
        ARCHIVE_URL: `s3://${archive.bucket.bucketName}/`,
        SEAL_MAX_EVENTS: String(SEAL_MAX_EVENTS),
      },
    }));
    signingKey.grantSign(this.fn);
    // The archive bucket encrypts with SSE-S3 (Archive): no KMS key to grant for the copies.
    archive.grantLogWriter(this.fn);
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
