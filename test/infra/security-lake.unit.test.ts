import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_METRICS, MAINTENANCE_SERVICE } from '../../shared/core/contracts/metrics.ts';
import { OCSF_CLASSES } from '../../shared/core/ocsf/classes.ts';
import { auditFunctions, type Resource, synthesize } from './synth.ts';

let on: ReturnType<typeof synthesize>;
let off: ReturnType<typeof synthesize>;

const SECURITY_LAKE = {
  securityLake: 'true',
  securityLakeBucket: 'aws-security-data-lake-eu-west-1-abc123',
  securityLakeExternalId: 'fleet-audit-external-id',
};

/** The custom-resource calls that create a Security Lake custom source, as CloudFormation JSON text. */
const createCalls = (s: ReturnType<typeof synthesize>) =>
  Object.values(s.stateful.findResources('Custom::AWS'))
    .map((resource) => JSON.stringify(resource))
    .filter((text) => text.includes('createCustomLogSource'));

beforeAll(() => {
  on = synthesize({ nag: true, context: SECURITY_LAKE });
  off = synthesize({});
}, 300_000);

describe('Security Lake custom sources (cdk.json securityLake)', () => {
  it('declares one custom source per OCSF class, with its event class, the crawler role and the external id', () => {
    const calls = createCalls(on);
    expect(calls).toHaveLength(Object.keys(OCSF_CLASSES).length);
    for (const ocsfClass of Object.values(OCSF_CLASSES)) {
      const call = calls.find((text) => text.includes(`fleet-audit-${ocsfClass.sourceSuffix}\\"`));
      expect(call, ocsfClass.name).toBeDefined();
      expect(call).toContain(`[\\"${ocsfClass.securityLakeClass}\\"]`);
      expect(call).toContain('fleet-audit-external-id');
      expect(call).toContain('deleteCustomLogSource');
    }
    on.stateful.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'glue.amazonaws.com' } })],
      }),
    });
    on.stateful.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['securitylake:CreateCustomLogSource', 'securitylake:DeleteCustomLogSource'],
          }),
        ]),
      }),
    });
    const crawlerS3 = JSON.stringify(on.stateful.findResources('AWS::IAM::Policy'));
    expect(crawlerS3).toContain('aws-security-data-lake-eu-west-1-abc123/ext/fleet-audit-api/*');
  });

  it('gives the maintenance function the lake: its bucket, Region, account and source prefix', () => {
    const env = auditFunctions(on.stateless).get(MAINTENANCE_SERVICE)!.Properties.Environment.Variables;
    expect(env).toMatchObject({
      SECURITY_LAKE_BUCKET: 'aws-security-data-lake-eu-west-1-abc123',
      SECURITY_LAKE_REGION: { Ref: 'AWS::Region' },
      SECURITY_LAKE_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      SECURITY_LAKE_SOURCE_PREFIX: 'fleet-audit',
    });
    expect(env.SECURITY_LAKE_DIR).toBeUndefined();
    for (const fn of auditFunctions(on.stateless).values())
      if (fn !== auditFunctions(on.stateless).get(MAINTENANCE_SERVICE))
        expect(Object.keys(fn.Properties.Environment.Variables).filter((k) => k.startsWith('SECURITY_LAKE'))).toEqual(
          [],
        );
  });

  it("lets it put objects under each source's ext/<source>/ prefix of the lake's bucket, and nothing else there", () => {
    const role = auditFunctions(on.stateless).get(MAINTENANCE_SERVICE)!.Properties.Role['Fn::GetAtt'][0];
    const statements = (Object.values(on.stateless.findResources('AWS::IAM::Policy')) as Resource[])
      .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const lake = statements.filter((statement) => JSON.stringify(statement).includes('aws-security-data-lake'));
    expect(lake).toHaveLength(1);
    expect(lake[0].Action).toBe('s3:PutObject');
    expect(lake[0].Effect).toBe('Allow');
    const resources = lake[0].Resource.map((arn: { 'Fn::Join': [string, unknown[]] }) =>
      arn['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<partition>')).join(''),
    );
    expect(resources.sort()).toEqual(
      Object.values(OCSF_CLASSES)
        .map((c) => `arn:<partition>:s3:::aws-security-data-lake-eu-west-1-abc123/ext/fleet-audit-${c.sourceSuffix}/*`)
        .sort(),
    );
    // No other function may write the lake.
    const others = JSON.stringify(
      (Object.values(on.stateless.findResources('AWS::IAM::Policy')) as Resource[]).filter(
        (policy) => !policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role),
      ),
    );
    expect(others).not.toContain('aws-security-data-lake');
  });

  it('alarms when a derivation fails', () => {
    on.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: MAINTENANCE_METRICS.lakeExportFailures,
      Dimensions: [{ Name: 'service', Value: MAINTENANCE_SERVICE }],
      Threshold: 1,
    });
  });

  it('leaves no unsuppressed cdk-nag finding', () => {
    for (const stack of [on.stacks.stateful, on.stacks.stateless]) {
      const annotations = Annotations.fromStack(stack);
      const findings = [
        ...annotations.findError('*', Match.anyValue()),
        ...annotations.findWarning('*', Match.anyValue()),
      ];
      expect(findings.map((f) => `${f.id}: ${String(f.entry.data).slice(0, 160)}`)).toEqual([]);
    }
  });

  it('declares nothing of Security Lake without the flag', () => {
    expect(createCalls(off)).toEqual([]);
    expect(JSON.stringify(off.stateful.toJSON())).not.toContain('securitylake');
    expect(JSON.stringify(off.stateful.toJSON())).not.toContain('glue.amazonaws.com');
    expect(JSON.stringify(off.stateless.toJSON())).not.toContain('SECURITY_LAKE');
    expect(JSON.stringify(off.stateless.toJSON())).not.toContain(MAINTENANCE_METRICS.lakeExportFailures);
  });
});
