import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
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
}
