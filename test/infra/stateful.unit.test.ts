import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_PARTITION_KEYS,
  archiveKeyPrefix,
  DUCKDB_TYPES,
} from '../../shared/core/archive/schema.ts';
import { only, type Resource, synthesize } from './synth.ts';

/** Athena's projection placeholder for a partition key. */
const placeholder = (key: string) => '$' + `{${key}}`;

let template: Template;

beforeAll(() => {
  template = synthesize({ context: { objectLockMode: 'COMPLIANCE', objectLockDays: 2555 } }).stateful;
}, 300_000);

const buckets = () => template.findResources('AWS::S3::Bucket') as Record<string, Resource>;
const archiveBucket = () => Object.entries(buckets()).find(([, bucket]) => bucket.Properties.ObjectLockEnabled)!;

describe('network', () => {
  it('has isolated subnets only, no NAT, and the endpoints the VPC Lambdas and the proxy need', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')) as Resource[];
    const services = endpoints.map((endpoint) => JSON.stringify(endpoint.Properties.ServiceName));
    for (const service of ['.sqs', '.secretsmanager', '.iot.data'])
      expect(
        services.some((name) => name.includes(service)),
        service,
      ).toBe(true);
    // Maintenance invokes itself to continue a long archival: the Lambda API, with private DNS so the SDK's default
    // endpoint resolves to it.
    const lambdaApi = endpoints.find((endpoint) => /\.lambda"/.test(JSON.stringify(endpoint.Properties.ServiceName)));
    expect(lambdaApi?.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    // The query API starts, polls and pages Athena queries over the archive from inside the VPC (maintenance too).
    const athenaApi = endpoints.find((endpoint) => /\.athena"/.test(JSON.stringify(endpoint.Properties.ServiceName)));
    expect(athenaApi?.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    // The query API reads the operations view's figures from CloudWatch (GetMetricData) from inside the VPC.
    const monitoring = endpoints.find((endpoint) =>
      /\.monitoring"/.test(JSON.stringify(endpoint.Properties.ServiceName)),
    );
    expect(monitoring?.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    // S3 through a gateway endpoint on the isolated subnets' route tables: maintenance writes the archive.
    const gateway = endpoints.find((endpoint) => endpoint.Properties.VpcEndpointType === 'Gateway');
    expect(JSON.stringify(gateway?.Properties.ServiceName)).toContain('.s3');
    expect(gateway?.Properties.RouteTableIds).toHaveLength(2);
    // IoT's data endpoint gets its DNS from a private zone named after the account's endpoint, looked up at deploy.
    const zone = only(template.findResources('AWS::Route53::HostedZone')) as Resource;
    expect(JSON.stringify(zone.Properties.Name)).toMatch(/"Fn::GetAtt":\["IotDataDataEndpoint\w+","endpointAddress"\]/);
  });
});

describe('database', () => {
  it('is Aurora PostgreSQL 17 Serverless v2, encrypted, protected, backed up, with Performance Insights and IAM auth', () => {
    const cluster = only(template.findResources('AWS::RDS::DBCluster')) as Resource;
    expect(cluster.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      EngineVersion: expect.stringMatching(/^17\./),
      StorageEncrypted: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
      EnableIAMDatabaseAuthentication: true,
      PerformanceInsightsEnabled: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
  });

  it('is reached through RDS Proxy with IAM auth and TLS, with a secret for the owner and each login user', () => {
    const secretAuth = Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: Match.anyValue() });
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [secretAuth, secretAuth, secretAuth, secretAuth, secretAuth],
    });
    const secrets = (Object.values(template.findResources('AWS::SecretsManager::Secret')) as Resource[]).filter(
      (secret) => secret.Properties.GenerateSecretString.SecretStringTemplate,
    );
    const usernames = secrets.map((secret) => JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate));
    expect(usernames.map((template) => template.username).sort()).toEqual([
      'audit_forwarder',
      'audit_owner',
      'audit_reader',
      'audit_sealer',
      'audit_writer',
    ]);
    // Every database password rotates, the login users' too (single-user rotation: a user may change its own).
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 5);
    for (const schedule of Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')) as Resource[])
      expect(schedule.Properties.RotationRules.ScheduleExpression).toBe('rate(30 days)');
  });
});

describe('cursor secret', () => {
  it('is a plain string CloudFormation generates, long enough for an HMAC-SHA256 key', () => {
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret')) as Resource[];
    const cursor = secrets.filter((secret) => /paging cursors/.test(secret.Properties.Description ?? ''));
    expect(cursor).toHaveLength(1);
    expect(cursor[0]!.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true });
  });
});

describe('archive bucket', () => {
  it('is versioned, encrypted, private, TLS-only, with Object Lock from the config', () => {
    const [id, bucket] = archiveBucket();
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
      },
      LoggingConfiguration: { DestinationBucketName: expect.anything() },
    });
    expect(JSON.stringify(bucket.Properties.LifecycleConfiguration)).toContain('GLACIER_IR');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('every bucket is encrypted and blocks public access', () => {
    for (const bucket of Object.values(buckets())) {
      expect(bucket.Properties.BucketEncryption).toBeDefined();
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });
});

describe('Glue table and Athena', () => {
  const table = () => (only(template.findResources('AWS::Glue::Table')) as Resource).Properties.TableInput;

  it('has the archive schema columns and partition keys, read as Parquet', () => {
    const columns = (list: { Name: string; Type: string }[]) =>
      list.map(({ Name, Type }) => ({ name: Name, glueType: Type }));
    expect(columns(table().StorageDescriptor.Columns)).toEqual(
      ARCHIVE_COLUMNS.map(({ name, glueType }) => ({ name, glueType })),
    );
    expect(columns(table().PartitionKeys)).toEqual(
      ARCHIVE_PARTITION_KEYS.map(({ name, glueType }) => ({ name, glueType })),
    );
    expect(table().StorageDescriptor).toMatchObject({
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    });
  });

  it('declares only Hive types Athena reads from Parquet, each written as the matching DuckDB type', () => {
    // bigint (the log's sequence numbers) is Parquet INT64: Athena reads it as bigint, DuckDB writes it as BIGINT.
    const hive = { string: 'VARCHAR', int: 'INTEGER', bigint: 'BIGINT', timestamp: 'TIMESTAMP WITH TIME ZONE' };
    expect(DUCKDB_TYPES).toEqual(hive);
    for (const column of [...table().StorageDescriptor.Columns, ...table().PartitionKeys])
      expect(Object.keys(hive), column.Name).toContain(column.Type);
  });

  it('projects partitions onto the archiver key layout', () => {
    const parameters = table().Parameters;
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.year.type': 'integer',
      'projection.month.type': 'integer',
      'projection.month.range': '1,12',
      'projection.month.digits': '2',
    });
    const [bucketId] = archiveBucket();
    const [scheme, bucket, keyTemplate] = parameters['storage.location.template']['Fn::Join'][1];
    expect([scheme, bucket]).toEqual(['s3://', { Ref: bucketId }]);
    const filled = (keyTemplate as string).replace(placeholder('year'), '2026').replace(placeholder('month'), '05');
    expect(filled).toBe(`/${archiveKeyPrefix({ year: 2026, month: 5 })}`);
  });

  it('enforces the result location in its own bucket, encryption and the bytes-scanned cutoff', () => {
    const workGroup = (only(template.findResources('AWS::Athena::WorkGroup')) as Resource).Properties
      .WorkGroupConfiguration;
    expect(workGroup).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    const resultsBucketId = workGroup.ResultConfiguration.OutputLocation['Fn::Join'][1][1].Ref;
    expect(resultsBucketId).not.toBe(archiveBucket()[0]);
    expect(buckets()[resultsBucketId]).toBeDefined();
  });
});

describe('ArchiveQueryAccess policy', () => {
  const policy = () => only(template.findResources('AWS::IAM::ManagedPolicy')) as Resource;
  const statements = () =>
    policy().Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  const actions = () => statements().flatMap((statement) => [statement.Action].flat());

  it('lets an operator run Athena queries on the workgroup, read the table and the archive, and write results', () => {
    expect(actions().sort()).toEqual(
      [
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:GetWorkGroup',
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
        'glue:GetDatabase',
        'glue:GetPartitions',
        'glue:GetTable',
        's3:AbortMultipartUpload',
        's3:GetBucketLocation',
        's3:GetObject',
        's3:GetObject',
        's3:ListBucket',
        's3:ListMultipartUploadParts',
        's3:PutObject',
      ].sort(),
    );
    const [archiveId] = archiveBucket();
    const archiveStatements = statements().filter((statement) =>
      JSON.stringify(statement.Resource).includes(archiveId),
    );
    expect(archiveStatements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
    ]);
    const athena = statements().find((statement) => [statement.Action].flat()[0]!.startsWith('athena:'))!;
    expect(JSON.stringify(athena.Resource)).toMatch(/:workgroup\/",\{"Ref":"ArchiveQueryWorkGroup/);
  });

  it('is a stack output, to attach to the people who query the archive', () => {
    const policyId = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'))[0]!;
    template.hasOutput('ArchiveQueryAccessPolicyArn', { Value: { Ref: policyId } });
  });
});
