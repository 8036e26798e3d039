import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_PARTITION_KEYS,
  ARCHIVE_ROOT_PREFIX,
  type ArchiveColumn,
  archivePartitionProjection,
} from '../../shared/archive/schema.ts';
import type { AccessLogs } from './access-logs.ts';
import type { Archive } from './archive.ts';

export const ARCHIVE_TABLE = 'events';
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
 * SQL over the archive: a Glue table whose columns and partition layout come from `shared/archive/schema.ts`
 * (partition projection, so nothing registers partitions), and an Athena workgroup that enforces where results go,
 * their encryption and how much one query may scan.
 */
export class ArchiveQuery extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly resultsBucket: s3.Bucket;
  readonly workGroup: athena.CfnWorkGroup;

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
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          expectedBucketOwner: account,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
