import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ARCHIVE_ROOT_PREFIX } from '../../shared/core/archive/schema.ts';
// The sealer's copies, `log/checkpoints/…` and `log/leaves/…`: beside `events/`, under the same default retention.
import { LOG_ARCHIVE_PREFIX } from '../../shared/core/tamper/archive-keys.ts';
import type { AccessLogs } from './access-logs.ts';

/** AbortMultipartUpload only discards the parts of an upload that failed, never a stored object. */
const WRITE_AND_READ_BACK = ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'];
const LOG_KEYS_REASON =
  "The log's checkpoints and leaf files are keyed by number under log/: the grant covers that prefix of the archive bucket only";

export interface ArchiveProps {
  accessLogs: AccessLogs;
  objectLockMode: 'GOVERNANCE' | 'COMPLIANCE';
  objectLockDays: number;
}

/**
 * The long-term archive: monthly Parquet files and the log's signed checkpoints, write-once (Object Lock) and
 * versioned. Objects move to colder classes that Athena can still read (Standard-IA, then Glacier Instant Retrieval);
 * S3 Lifecycle does not transition objects under 128 KB by default, so the small checkpoint files stay in Standard.
 */
export class Archive extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    const retention = Duration.days(props.objectLockDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        props.objectLockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      lifecycleRules: [
        {
          id: 'colder-with-age',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
          ],
          noncurrentVersionTransitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) },
          ],
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      ...props.accessLogs.for('archive'),
    });
  }

  /** Objects under `events/`, the only prefix the archiver and the Glue table use. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${ARCHIVE_ROOT_PREFIX}*`);
  }

  /** What the archiver needs: write, read back and list archived months. No delete: archived objects are kept (and locked). */
  grantArchiver(fn: lambda.Function): void {
    this.grantObjects(fn, ARCHIVE_ROOT_PREFIX, WRITE_AND_READ_BACK);
    this.suppressPrefix(
      fn,
      ARCHIVE_ROOT_PREFIX,
      'Archive objects are keyed by month under events/: the grant covers that prefix of the archive bucket only',
    );
  }

  /**
   * What the sealer needs: put checkpoints and leaf hashes under `log/`, and head, read and list them to re-put a copy
   * a failed round left missing. Nothing that could shorten a lock or remove a version: no DeleteObject*,
   * PutObjectRetention, PutObjectLegalHold or BypassGovernanceRetention (a test asserts their absence).
   */
  grantLogWriter(fn: lambda.Function): void {
    this.grantObjects(fn, LOG_ARCHIVE_PREFIX, WRITE_AND_READ_BACK);
    this.suppressPrefix(fn, LOG_ARCHIVE_PREFIX, LOG_KEYS_REASON);
  }

  /** What a verifier of the archived log needs: read the checkpoints and leaf hashes under `log/`. */
  grantLogReader(fn: lambda.Function): void {
    this.grantObjects(fn, LOG_ARCHIVE_PREFIX, ['s3:GetObject']);
    this.suppressPrefix(fn, LOG_ARCHIVE_PREFIX, LOG_KEYS_REASON);
  }

  /**
   * `actions` on the objects under `prefix`, and ListBucket on the bucket. That one is unconditional on purpose: S3
   * answers HeadObject on a missing key with 404 only to callers allowed to list the bucket (403 otherwise), and the
   * store relies on that 404. A `s3:prefix` condition would not match HeadObject.
   */
  private grantObjects(fn: lambda.Function, prefix: string, actions: string[]): void {
    iam.Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.bucket.arnForObjects(`${prefix}*`)] });
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
  }

  /** cdk-nag IAM5 flags the `<prefix>*` object wildcard: suppressed for that prefix alone, with the reason. */
  private suppressPrefix(fn: lambda.Function, prefix: string, reason: string): void {
    const escaped = prefix.replace(/\//g, '\\/');
    NagSuppressions.addResourceSuppressions(
      fn,
      [{ id: 'AwsSolutions-IAM5', reason, appliesTo: [{ regex: `/^Resource::.*\\/${escaped}\\*$/g` }] }],
      true,
    );
  }
}
