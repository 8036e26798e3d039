import { Annotations, Duration, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import {
  MAINTENANCE_SERVICE,
  type MaintenanceMetric,
  METRICS_NAMESPACE,
  type VerificationMetric,
} from '../../shared/core/contracts/metrics.ts';
import { DEFAULT_MAX_CONTINUATIONS } from '../../shared/core/lifecycle/continuation.ts';
import type { Archive } from './archive.ts';
import type { ArchiveQuery } from './archive-query.ts';
import { AuditFunction } from './audit-function.ts';
import { type EventDatabase, OWNER } from './event-database.ts';
import type { Migrations } from './migrations.ts';
import type { SecurityLakeSource } from './security-lake-source.ts';

const SERVICE = MAINTENANCE_SERVICE;
/** Daily, in the quiet hour after the backup window (02:00-03:00 UTC) and the Sunday maintenance window (03:30-04:30). */
export const MAINTENANCE_SCHEDULE = 'cron(45 4 * * ? *)';

/**
 * DuckDB (the Parquet export) loads a native binding esbuild cannot bundle. Synth stays offline, so the installed
 * packages are copied into the asset rather than installed for another architecture. `detect-libc` is the bindings'
 * own dependency (glibc vs musl); without it they assume glibc, which is what Lambda has anyway.
 */
const DUCKDB_PACKAGES = {
  external: ['@duckdb/*'],
  copy: ['@duckdb/node-api', '@duckdb/node-bindings', '@duckdb/node-bindings-linux-x64', 'detect-libc'],
};

export interface LifecycleProps {
  database: EventDatabase;
  archive: Archive;
  archiveQuery: ArchiveQuery;
  migrations: Migrations;
  retentionMonths: number;
  premakeMonths: number;
}

/**
 * Partition lifecycle: the maintenance function creates future months and archives expired ones to the archive
 * bucket, daily and once after every deploy that changes it. A run that pauses at the deadline invokes the function
 * again, asynchronously, to go on within minutes (shared/core/lifecycle/continuation.ts: why, and what bounds the chain).
 */
export class Lifecycle extends Construct {
  readonly fn: AuditFunction;
  readonly schedule: events.Rule;
  /** The schedule's expression, which the operations view reads its next maintenance from. */
  readonly scheduleExpression = MAINTENANCE_SCHEDULE;
  readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    const { archive, archiveQuery } = props;
    const timeout = Duration.minutes(15);
    this.fn = new AuditFunction(this, 'Function', {
      service: SERVICE,
      description: 'Creates future month partitions; archives, verifies and drops expired months',
      timeout,
      // DuckDB is capped at 512 MB (shared/adapters/duckdb/duckdb.ts); the rest holds Node, pg's COPY stream and the upload.
      memorySize: 1536,
      // One staging file plus one Parquet file of ARCHIVE_ROWS_PER_FILE rows (≈ 150 MB), and DuckDB's spill.
      ephemeralStorageSize: Size.gibibytes(2),
      // The one exception to ARM64: the only DuckDB binding in this repo's node_modules is linux-x64, and synth must
      // not run npm install for another architecture.
      architecture: lambda.Architecture.X86_64,
      nativePackages: DUCKDB_PACKAGES,
      // The advisory lock already makes an overlapping run skip; one slot also keeps a second run (schedule and deploy
      // trigger together, an EventBridge redelivery) from holding a connection and 1.5 GB just to find the lock taken.
      // A continuation is asked for while its caller still holds this slot: Lambda keeps the asynchronous event and
      // retries it (for up to 6 hours) until the slot is free, so it runs right after, never beside, its caller.
      reservedConcurrentExecutions: 1,
      // Lambda's default, stated because the continuations rely on it: a failed run, a continuation that could not be
      // asked for, or one that found the lock taken is retried twice (after about 1 and 2 minutes), then dropped.
      retryAttempts: 2,
      network: props.database.clientNetwork,
      environment: {
        RETENTION_MONTHS: String(props.retentionMonths),
        PREMAKE_MONTHS: String(props.premakeMonths),
        // The store's prefix stays empty: archive keys already start with `events/`, where the Glue table looks.
        ARCHIVE_URL: `s3://${archive.bucket.bucketName}/`,
        ARCHIVE_ROWS_PER_FILE: '500000',
        ARCHIVE_WORK_DIR: '/tmp/audit-archive',
        // ARCHIVE_KMS_KEY_ID stays unset: the archive bucket encrypts with SSE-S3 by default.
        ATHENA_WORKGROUP: archiveQuery.workGroup.ref,
        GLUE_DATABASE: archiveQuery.database.ref,
        // About 5 hours of archiving (24 × 13.5 minutes) before a chain waits for the next daily run, and alarms.
        MAINTENANCE_MAX_CONTINUATIONS: String(DEFAULT_MAX_CONTINUATIONS),
      },
    });
    // Continuations: the function may invoke itself (its unqualified ARN, which is what it calls) and nothing else.
    // A policy of its own rather than the role's default policy: the function depends on that one, and a statement
    // naming the function's ARN there would make the function depend on itself. The function reaches the Lambda API
    // through the VPC's interface endpoint (Network).
    const selfInvoke = new iam.Policy(this, 'InvokeItself', {
      roles: [this.fn.role!],
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.fn.functionArn],
        }),
      ],
    });
    // The owner's session: maintenance creates, detaches and drops partitions.
    props.database.addClient(this.fn, OWNER);
    archive.grantArchiver(this.fn);

    this.schedule = new events.Rule(this, 'Daily', {
      description: 'Daily partition maintenance and archival',
      schedule: events.Schedule.expression(MAINTENANCE_SCHEDULE),
      targets: [new targets.LambdaFunction(this.fn)],
    });
    Annotations.of(this.fn).acknowledgeWarning(
      '@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias',
      'The schedule invokes the unqualified function; the deploy trigger holds its own invoke right on the versions',
    );
    // Asynchronous: the deploy neither waits up to 15 minutes nor rolls back over an archival problem (that alarms).
    // The writer does not depend on it: an insert into a missing month creates that month's partition itself.
    this.trigger = new triggers.Trigger(this, 'RunAtDeploy', {
      handler: this.fn,
      invocationType: triggers.InvocationType.EVENT,
      // After the self-invoke right exists too, or the deploy-time run could not continue itself.
      executeAfter: [props.migrations, selfInvoke],
      executeOnHandlerChange: true,
    });
  }

  /**
   * Each month the function archives is then derived into OCSF objects in the lake's custom sources (docs/ocsf.md):
   * the lake's bucket, Region, account and source prefix as its environment, and each class written through its
   * source's provider role (their ARNs by class and the external id as environment, sts:AssumeRole on those roles).
   */
  exportToSecurityLake(lake: SecurityLakeSource): void {
    const stack = Stack.of(this);
    this.fn.addEnvironment('SECURITY_LAKE_BUCKET', lake.bucketName);
    this.fn.addEnvironment('SECURITY_LAKE_REGION', stack.region);
    this.fn.addEnvironment('SECURITY_LAKE_ACCOUNT_ID', stack.account);
    this.fn.addEnvironment('SECURITY_LAKE_SOURCE_PREFIX', lake.sourcePrefix);
    this.fn.addEnvironment('SECURITY_LAKE_PROVIDER_ROLES', stack.toJsonString(lake.providerRoleArns));
    this.fn.addEnvironment('SECURITY_LAKE_EXTERNAL_ID', lake.externalId);
    lake.grantAssumeProviderRoles(this.fn);
  }

  /** One of the run's metrics (MAINTENANCE_METRICS, VERIFICATION_METRICS), summed per period. */
  metric(name: MaintenanceMetric | VerificationMetric, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      // Powertools' default dimension: the function's POWERTOOLS_SERVICE_NAME.
      dimensionsMap: { service: SERVICE },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }
}
