import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_METRICS, MAINTENANCE_SERVICE } from '../../shared/core/contracts/metrics.ts';
import { OCSF_CLASSES } from '../../shared/core/ocsf/classes.ts';
import { auditFunctions, nagFindings, type Resource, roleStatements, synthesize } from './synth.ts';

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

/** A CloudFormation Fn::Join of strings, Refs and Fn::GetAtts as text, each Ref as `<name>`. */
function resolveJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(resolveJoin).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `<${ref}>`;
  const getAtt = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
  if (getAtt) return `<${getAtt.join('.')}>`;
  throw new Error(`not a string, Ref, Fn::GetAtt or Fn::Join: ${JSON.stringify(value)}`);
}

/**
 * The class whose provider role an imported value of the stateless stack is: the stateful stack's export it imports
 * must be the `source.provider.roleArn` of that class's custom source (its CreateCustomLogSource call).
 */
function providerRoleOf(value: unknown): string {
  const name = (value as { 'Fn::ImportValue': string })['Fn::ImportValue'];
  const exported = Object.values(
    on.stateful.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>,
  ).find((output) => output.Export?.Name === name);
  expect(exported, name).toBeDefined();
  const [resourceId, attribute] = (exported!.Value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  expect(attribute).toBe('source.provider.roleArn');
  const call = JSON.stringify(on.stateful.toJSON().Resources[resourceId]);
  const ocsfClass = Object.entries(OCSF_CLASSES).find(([, c]) => call.includes(`fleet-audit-${c.sourceSuffix}\\"`));
  expect(ocsfClass, resourceId).toBeDefined();
  return ocsfClass![0];
}

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

  it("lets it assume exactly the four provider roles, and gives it nothing on the lake's bucket itself", () => {
    const maintenance = auditFunctions(on.stateless).get(MAINTENANCE_SERVICE)!;
    const statements = roleStatements(on.stateless, maintenance);
    const assume = statements.filter((statement) => JSON.stringify(statement.Action).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(assume[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole' });
    expect([...assume[0].Resource.map(providerRoleOf)].sort()).toEqual(Object.keys(OCSF_CLASSES).sort());
    expect(JSON.stringify(statements)).not.toContain('aws-security-data-lake');
    // No function may write the lake's bucket or assume its provider roles, save maintenance's roles above.
    const others = JSON.stringify(
      (Object.values(on.stateless.findResources('AWS::IAM::Policy')) as Resource[]).filter(
        (policy) =>
          !policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === maintenance.Properties.Role['Fn::GetAtt'][0]),
      ),
    );
    expect(others).not.toContain('aws-security-data-lake');
    expect(others).not.toContain('source.provider.roleArn');
  });

  it('names each class’s provider role in SECURITY_LAKE_PROVIDER_ROLES, with the external id', () => {
    const env = auditFunctions(on.stateless).get(MAINTENANCE_SERVICE)!.Properties.Environment.Variables;
    expect(env.SECURITY_LAKE_EXTERNAL_ID).toBe('fleet-audit-external-id');
    const [separator, parts] = env.SECURITY_LAKE_PROVIDER_ROLES['Fn::Join'];
    const text = [separator, ...parts]
      .slice(1)
      .map((part: unknown) => (typeof part === 'string' ? part : `<${providerRoleOf(part)}>`))
      .join('');
    expect(JSON.parse(text)).toEqual(Object.fromEntries(Object.keys(OCSF_CLASSES).map((key) => [key, `<${key}>`])));
  });

  it('names this account, with the external id, as the identity each provider role trusts', () => {
    for (const call of createCalls(on)) {
      const request = JSON.parse(resolveJoin(JSON.parse(call).Properties.Create));
      expect(request.parameters.configuration.providerIdentity).toEqual({
        principal: '<AWS::AccountId>',
        externalId: 'fleet-audit-external-id',
      });
      expect(request.outputPaths).toEqual(['source.provider.roleArn', 'source.provider.location']);
    }
  });

  it('alarms when a derivation fails', () => {
    on.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: MAINTENANCE_METRICS.lakeExportFailures,
      Dimensions: [{ Name: 'service', Value: MAINTENANCE_SERVICE }],
      Threshold: 1,
    });
  });

  it('leaves no unsuppressed cdk-nag finding', () => {
    expect(nagFindings([on.stacks.stateful, on.stacks.stateless])).toEqual([]);
  });

  it('declares nothing of Security Lake without the flag', () => {
    expect(createCalls(off)).toEqual([]);
    expect(JSON.stringify(off.stateful.toJSON())).not.toContain('securitylake');
    expect(JSON.stringify(off.stateful.toJSON())).not.toContain('glue.amazonaws.com');
    expect(JSON.stringify(off.stateless.toJSON())).not.toContain('SECURITY_LAKE');
    expect(JSON.stringify(off.stateless.toJSON())).not.toContain(MAINTENANCE_METRICS.lakeExportFailures);
  });
});
