import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../shared/core/contracts/metrics.ts';
import { auditFunctions, iamWildcard, only, type Resource, roleStatements, synthesize } from './synth.ts';

/** The tamper-evident log on AWS (issue 13): its signing key, the sealer, Object Lock over its copies, its alarms. */

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

let synthesized: ReturnType<typeof synthesize>;
let stateful: Template;
let stateless: Template;
let functions: Map<string, Resource>;

beforeAll(() => {
  // cdk.json's settings (objectLockMode GOVERNANCE): stateful.unit.test.ts synthesizes COMPLIANCE.
  synthesized = synthesize({ context: { alarmEmail: 'ops@example.com' } });
  stateful = synthesized.stateful;
  stateless = synthesized.stateless;
  functions = auditFunctions(stateless);
}, 300_000);

const sealer = () => functions.get('sealer')!;
const roleOf = (service: string) =>
  stateless.findResources('AWS::IAM::Role')[functions.get(service)!.Properties.Role['Fn::GetAtt'][0]] as Resource;
const logicalId = (template: Template, resource: Resource) =>
  Object.entries(template.toJSON().Resources).find(([, candidate]) => candidate === resource)![0];
/** How the stateless stack reads a value the stateful stack exports. */
const imported = (value: unknown) => {
  const outputs = Object.values(stateful.toJSON().Outputs) as { Value: unknown; Export?: { Name: string } }[];
  const output = outputs.find(
    (candidate) => candidate.Export && JSON.stringify(candidate.Value) === JSON.stringify(value),
  );
  if (!output) throw new Error(`the stateful stack exports no ${JSON.stringify(value)}`);
  return { 'Fn::ImportValue': output.Export!.Name };
};
const keyId = () => Object.keys(stateful.findResources('AWS::KMS::Key'))[0]!;
const keyArn = () => imported({ 'Fn::GetAtt': [keyId(), 'Arn'] });
const archiveBucket = () =>
  (Object.entries(stateful.findResources('AWS::S3::Bucket')) as [string, Resource][]).find(
    ([, bucket]) => bucket.Properties.ObjectLockEnabled,
  )!;
const archiveArn = () => imported({ 'Fn::GetAtt': [archiveBucket()[0], 'Arn'] });
const accountRoot = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
};
const SIGNING_CONDITION = { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' };
/** Whether any action of a statement, wildcards included, covers `action`. */
const allows = (statement: Statement, action: string) =>
  statement.Effect === 'Allow' && [statement.Action].flat().some((pattern) => iamWildcard(pattern).test(action));
/** Every statement of every identity policy (inline and managed) of a template. */
const identityStatements = (template: Template) =>
  Object.values({
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  }).flatMap((policy) => (policy as Resource).Properties.PolicyDocument.Statement as Statement[]);

describe('the log signing key', () => {
  const key = () => only(stateful.findResources('AWS::KMS::Key')) as Resource & Record<string, unknown>;

  it('is the one KMS key: asymmetric P-256 for signing, not rotated, kept when the stack or the key goes', () => {
    expect(key().Properties).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      EnableKeyRotation: false,
    });
    expect(key().Properties.RotationPeriodInDays).toBeUndefined();
    expect(key()).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    stateless.resourceCountIs('AWS::KMS::Key', 0);
    // KMS cannot rotate an asymmetric key, and cdk-nag's rotation rule (KMS5) covers symmetric keys only: no
    // suppression is needed, and none hides anything (nag-and-iam.unit.test.ts runs the rules).
    expect(JSON.stringify(key().Metadata ?? {})).not.toContain('cdk_nag');
  });

  it("lets the account administer it through IAM, and only the sealer's role sign, in the one form the sealer uses", () => {
    const statements = key().Properties.KeyPolicy.Statement as Statement[];
    expect(statements).toHaveLength(2);
    const [admin, sign] = statements as [Statement, Statement];
    expect(admin).toMatchObject({ Effect: 'Allow', Principal: { AWS: accountRoot }, Resource: '*' });
    // Administration (CDK's list for key admins) covers no cryptographic operation, whatever its wildcards match.
    for (const action of [
      'kms:Sign',
      'kms:Verify',
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:GenerateMac',
    ])
      expect(allows(admin, action), action).toBe(false);
    // The public key is read through IAM grants (grantPublicKey).
    expect(allows(admin, 'kms:GetPublicKey')).toBe(true);
    expect(sign).toEqual({
      Sid: 'SignCheckpointsAsTheSealerOnly',
      Effect: 'Allow',
      Principal: { AWS: accountRoot },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: {
        StringEquals: SIGNING_CONDITION,
        ArnEquals: {
          'aws:PrincipalArn': {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/fleet-audit-dev-sealer'],
            ],
          },
        },
      },
    });
    // That name is the sealer's role, and no other role of either stack has it.
    const roles = (template: Template) =>
      Object.entries(template.findResources('AWS::IAM::Role')) as [string, Resource][];
    const named = [...roles(stateful), ...roles(stateless)].filter(
      ([, role]) => role.Properties.RoleName === 'fleet-audit-dev-sealer',
    );
    expect(named.map(([id]) => id)).toEqual([sealer().Properties.Role['Fn::GetAtt'][0]]);
  });

  it('is named by a stack output and an alias, for auditors who fetch the public key', () => {
    stateful.hasOutput('LogSigningKeyArn', { Value: { 'Fn::GetAtt': [keyId(), 'Arn'] } });
    stateful.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/fleet-audit-dev-log-signing',
      TargetKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] },
    });
  });

  it('is reached from the isolated subnets through a KMS interface endpoint with private DNS', () => {
    const endpoints = Object.values(stateful.findResources('AWS::EC2::VPCEndpoint')) as Resource[];
    const kms = endpoints.filter((endpoint) => /\.kms"/.test(JSON.stringify(endpoint.Properties.ServiceName)));
    expect(kms).toHaveLength(1);
    expect(kms[0]!.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
  });
});

describe('the sealer', () => {
  it('runs one round at a time, every minute, in the database network, as audit_sealer', () => {
    expect(sealer().Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      MemorySize: 512,
      Architectures: ['arm64'],
      VpcConfig: functions.get('writer')!.Properties.VpcConfig,
    });
    // Shorter than the schedule's period, so a round normally ends before the next is due.
    expect(sealer().Properties.Timeout).toBeLessThan(60);
    expect(sealer().Properties.Environment.Variables).toMatchObject({
      DB_USER: 'audit_sealer',
      DB_IAM_AUTH: 'true',
      LOG_ID: 'fleet-audit-dev',
      SIGNING_KEY_ID: keyArn(),
      ARCHIVE_URL: { 'Fn::Join': ['', ['s3://', imported({ Ref: archiveBucket()[0] }), '/']] },
      SEAL_MAX_EVENTS: '50000',
    });
    const sealerId = logicalId(stateless, sealer());
    const rules = (Object.values(stateless.findResources('AWS::Events::Rule')) as Resource[]).filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(`"${sealerId}"`),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [sealerId, 'Arn'] } }],
    });
    // A failed or late round is not repeated: the next minute's round goes on from the same position.
    stateless.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: sealerId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('exists only once the migrations (the log tables, its login) have run', () => {
    const [migrationsTrigger] = Object.entries(stateless.findResources('Custom::Trigger')).find(([id]) =>
      id.startsWith('Migrations'),
    )!;
    expect((sealer() as Resource & { DependsOn: string[] }).DependsOn).toContain(migrationsTrigger);
  });

  it('may sign with the key, read its public key, put and read back the objects under log/, and nothing more', () => {
    const statements = roleStatements(stateless, sealer()) as Statement[];
    expect(statements).toHaveLength(6);
    expect(statements).toEqual(
      expect.arrayContaining([
        { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' },
        { Action: 'rds-db:connect', Effect: 'Allow', Resource: expect.anything() },
        { Action: 'kms:Sign', Condition: { StringEquals: SIGNING_CONDITION }, Effect: 'Allow', Resource: keyArn() },
        { Action: 'kms:GetPublicKey', Effect: 'Allow', Resource: keyArn() },
        {
          Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', [archiveArn(), '/log/*']] },
        },
        // HeadObject answers 404 (not 403) on a missing copy only to a caller that may list the bucket.
        { Action: 's3:ListBucket', Effect: 'Allow', Resource: archiveArn() },
      ]),
    );
    // The managed policies every VPC function has (logs, ENIs), as the writer's role.
    expect(roleOf('sealer').Properties.ManagedPolicyArns).toEqual(roleOf('writer').Properties.ManagedPolicyArns);
    expect(roleOf('sealer').Properties.ManagedPolicyArns).toHaveLength(2);
  });

  it('cannot shorten a lock, lift a hold, remove a version or touch the archived months', () => {
    const statements = roleStatements(stateless, sealer()) as Statement[];
    for (const action of [
      's3:DeleteObject',
      's3:DeleteObjectVersion',
      's3:PutObjectRetention',
      's3:PutObjectLegalHold',
      's3:BypassGovernanceRetention',
      's3:PutBucketObjectLockConfiguration',
      's3:PutLifecycleConfiguration',
      's3:PutBucketVersioning',
      's3:PutBucketPolicy',
    ])
      expect(
        statements.filter((statement) => allows(statement, action)),
        action,
      ).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain('/events/');
  });

  it('is the only principal that may sign; the query API and maintenance may read the public key, and are told the key', () => {
    const readers = ['maintenance', 'query-api', 'sealer'];
    for (const [service, fn] of functions) {
      const statements = roleStatements(stateless, fn) as Statement[];
      expect(
        statements.some((statement) => allows(statement, 'kms:Sign')),
        service,
      ).toBe(service === 'sealer');
      const reads = statements.some((statement) => allows(statement, 'kms:GetPublicKey'));
      expect(reads, service).toBe(readers.includes(service));
      const told = fn.Properties.Environment.Variables.SIGNING_KEY_ID;
      expect(told, service).toEqual(reads ? keyArn() : undefined);
    }
    // No other identity policy in either stack (the Athena access policy, CDK's providers) allows signing.
    const signing = [...identityStatements(stateful), ...identityStatements(stateless)].filter((statement) =>
      allows(statement, 'kms:Sign'),
    );
    expect(signing).toEqual([expect.objectContaining({ Action: 'kms:Sign', Resource: keyArn() })]);
  });
});

describe('Object Lock over the archived log', () => {
  it('the bucket the sealer copies checkpoints to locks every new object version by default, in the configured mode', () => {
    const [id, bucket] = archiveBucket();
    expect(synthesized.config).toMatchObject({ objectLockMode: 'GOVERNANCE', objectLockDays: 365 });
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      VersioningConfiguration: { Status: 'Enabled' },
      // A bucket-wide default: S3 applies it to every object version put without its own retention, `log/` included.
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: {
          DefaultRetention: { Mode: synthesized.config.objectLockMode, Days: synthesized.config.objectLockDays },
        },
      },
    });
    expect(sealer().Properties.Environment.Variables.ARCHIVE_URL).toEqual({
      'Fn::Join': ['', ['s3://', imported({ Ref: id }), '/']],
    });
  });
});

describe('alarms on the log', () => {
  const alarms = () => Object.values(stateless.findResources('AWS::CloudWatch::Alarm')) as Resource[];
  const alarmOn = (metricName: string, dimensions: { Name: string; Value: unknown }[]) =>
    alarms().filter(
      (alarm) =>
        alarm.Properties.MetricName === metricName &&
        JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify(dimensions),
    );
  const sealerService = [{ Name: 'service', Value: 'sealer' }];

  it('fire when committed events wait more than 5 minutes to be sealed, minute after minute for 5 minutes', () => {
    expect(alarmOn('SealLagSeconds', sealerService).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({
        AlarmName: 'fleet-audit-dev/SealLag',
        Namespace: METRICS_NAMESPACE,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 5,
        Threshold: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it('fire when no checkpoint was signed for 5 minutes, silence included', () => {
    expect(alarmOn('CheckpointNumber', sealerService).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({
        AlarmName: 'fleet-audit-dev/CheckpointsMissing',
        Namespace: METRICS_NAMESPACE,
        Statistic: 'SampleCount',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    ]);
  });

  it('fire when the scheduled verification finds a divergence', () => {
    const maintenance = [{ Name: 'service', Value: 'maintenance' }];
    expect(alarmOn('VerificationFailures', maintenance).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({
        AlarmName: 'fleet-audit-dev/LogVerificationFailed',
        Namespace: METRICS_NAMESPACE,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it('fire when the sealer fails, and notify the one topic like every alarm', () => {
    const functionName = [{ Name: 'FunctionName', Value: { Ref: logicalId(stateless, sealer()) } }];
    expect(alarmOn('Errors', functionName).map((alarm) => alarm.Properties.Threshold)).toEqual([1]);
    const topic = { Ref: Object.keys(stateless.findResources('AWS::SNS::Topic'))[0]! };
    for (const name of ['SealLag', 'CheckpointsMissing', 'LogVerificationFailed', 'SealerErrors']) {
      const alarm = alarms().find((candidate) => candidate.Properties.AlarmName === `fleet-audit-dev/${name}`);
      expect(alarm?.Properties, name).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
  });
});
