import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ARCHIVE_ROOT_PREFIX } from '../../shared/core/archive/schema.ts';
import type { AccessLogs } from './access-logs.ts';

export interface ArchiveProps {
  accessLogs: AccessLogs;
  objectLockMode: 'GOVERNANCE' | 'COMPLIANCE';
  objectLockDays: number;
}

/**
 * The long-term archive: monthly Parquet files, write-once (Object Lock) and versioned. Objects move to colder
 * classes that Athena can still read (Standard-IA, then Glacier Instant Retrieval).
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

  /**
   * What the archiver needs: write, read back and list archived months. No delete: archived objects are kept (and
   * locked); AbortMultipartUpload only discards the parts of an upload that failed, never a stored object.
   */
  grantArchiver(fn: lambda.Function): void {
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      resourceArns: [this.objectsArn],
    });
    // Unconditional on purpose: S3 answers HeadObject on a missing key with 404 only to callers allowed to list the
    // bucket (403 otherwise), and the store relies on that 404. A `s3:prefix` condition would not match HeadObject.
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    NagSuppressions.addResourceSuppressions(
      fn,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Archive objects are keyed by month under events/: the grant covers that prefix of the archive bucket only',
          appliesTo: [{ regex: '/^Resource::.*\\/events\\/\\*$/g' }],
        },
      ],
      true,
    );
  }
}
