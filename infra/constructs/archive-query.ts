import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_PARTITION_KEYS,
  ARCHIVE_ROOT_PREFIX,
  ARCHIVE_TABLE,
  type ArchiveColumn,
  archivePartitionProjection,
} from '../../shared/core/archive/schema.ts';
import type { AccessLogs } from './access-logs.ts';
import type { Archive } from './archive.ts';

/** Where the workgroup puts query results in its bucket. */
const RESULTS_PREFIX = 'results/';
const PARQUET = {
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
};

const glueColumn = (column: ArchiveColumn): glue.CfnTable.ColumnProperty => ({
  name: column.name,
  type: column.glueType,
  comment: column.description,
});

export interface ArchiveQueryProps {
  archive: Archive;
  accessLogs: AccessLogs;
  envName: string;
  bytesScannedCutoff: number;
}

/**
 * SQL over the archive: a Glue table whose columns and partition layout come from `shared/core/archive/schema.ts`
 * (partition projection, so nothing registers partitions), and an Athena workgroup that enforces where results go,
 * their encryption and how much one query may scan.
 */
export class ArchiveQuery extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly resultsBucket: s3.Bucket;
  readonly workGroup: athena.CfnWorkGroup;
  /** For the people (or roles) who run `trail archive query` against AWS: attach it to them. */
  readonly queryAccess: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ArchiveQueryProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const bucketName = props.archive.bucket.bucketName;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: `fleet_audit_${props.envName.replaceAll('-', '_')}`,
        description: 'Fleet audit trail archive',
      },
    });
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: this.database.ref,
      tableInput: {
        name: ARCHIVE_TABLE,
        description: 'Archived audit events, one Parquet set per UTC month',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE', ...archivePartitionProjection(bucketName) },
        partitionKeys: ARCHIVE_PARTITION_KEYS.map(glueColumn),
        storageDescriptor: {
          columns: ARCHIVE_COLUMNS.map(glueColumn),
          location: `s3://${bucketName}/${ARCHIVE_ROOT_PREFIX}`,
          inputFormat: PARQUET.inputFormat,
          outputFormat: PARQUET.outputFormat,
          serdeInfo: { serializationLibrary: PARQUET.serde, parameters: { 'serialization.format': '1' } },
        },
      },
    });

    this.resultsBucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
      ...props.accessLogs.for('athena-results'),
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `fleet-audit-${props.envName}`,
      description: 'Queries over the fleet audit archive',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/${RESULTS_PREFIX}`,
          expectedBucketOwner: account,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.queryAccess = this.createQueryAccess(props.archive);
  }

  /**
   * What `trail archive query` calls (shared/adapters/athena/athena-query.ts), plus what Athena does on the caller's behalf:
   * read the Glue table, read the archive's Parquet files and write the results to the results bucket.
   */
  private createQueryAccess(archive: Archive): iam.ManagedPolicy {
    const stack = Stack.of(this);
    const glueArn = (resource: string) => stack.formatArn({ service: 'glue', resource });
    const policy = new iam.ManagedPolicy(this, 'ArchiveQueryAccess', {
      description: 'Run SQL over the fleet audit archive with Athena (trail archive query)',
      statements: [
        new iam.PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
          ],
          resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.ref })],
        }),
        new iam.PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
          resources: [
            glueArn('catalog'),
            glueArn(`database/${this.database.ref}`),
            glueArn(`table/${this.database.ref}/${ARCHIVE_TABLE}`),
          ],
        }),
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [archive.objectsArn] }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [this.resultsBucket.arnForObjects(`${RESULTS_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [archive.bucket.bucketArn, this.resultsBucket.bucketArn],
        }),
      ],
    });
    NagSuppressions.addResourceSuppressions(policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Athena reads every Parquet file of the queried months under events/ and writes query results under results/; nothing else in either bucket',
        appliesTo: [{ regex: '/^Resource::.*\\/(events|results)\\/\\*$/g' }],
      },
    ]);
    return policy;
  }
}
