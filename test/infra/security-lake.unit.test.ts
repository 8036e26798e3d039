import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OCSF_CLASSES } from '../../shared/core/ocsf/classes.ts';
import { synthesize } from './synth.ts';

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

  it('leaves no unsuppressed cdk-nag finding', () => {
    const annotations = Annotations.fromStack(on.stacks.stateful);
    const findings = [
      ...annotations.findError('*', Match.anyValue()),
      ...annotations.findWarning('*', Match.anyValue()),
    ];
    expect(findings.map((f) => `${f.id}: ${String(f.entry.data).slice(0, 160)}`)).toEqual([]);
  });

  it('declares nothing of Security Lake without the flag', () => {
    expect(createCalls(off)).toEqual([]);
    expect(JSON.stringify(off.stateful.toJSON())).not.toContain('securitylake');
    expect(JSON.stringify(off.stateful.toJSON())).not.toContain('glue.amazonaws.com');
  });
});
