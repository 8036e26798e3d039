import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { nagFindings, type Resource, synthesize } from './synth.ts';

let synthesized: ReturnType<typeof synthesize>;
const templates = (): [string, Template][] => [
  ['stateful', synthesized.stateful],
  ['stateless', synthesized.stateless],
];

beforeAll(() => {
  synthesized = synthesize({ nag: true, context: { alarmEmail: 'ops@example.com' } });
}, 300_000);

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unsuppressed error or warning in any stack', () => {
    expect(nagFindings(Object.values(synthesized.stacks))).toEqual([]);
  });

  it('every suppression names its rule and a specific reason', () => {
    for (const [name, template] of templates()) {
      for (const resource of Object.values(template.toJSON().Resources) as Resource[]) {
        for (const suppression of resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
          expect(suppression.id, name).toMatch(/^(AwsSolutions-[A-Z]+\d+|CdkNagValidationFailure)$/);
          expect(suppression.reason.length, `${suppression.id} in ${name}`).toBeGreaterThanOrEqual(40);
        }
      }
    }
  });
});

describe('IAM', () => {
  const statements = (template: Template) =>
    Object.values({
      ...template.findResources('AWS::IAM::Policy'),
      ...template.findResources('AWS::IAM::ManagedPolicy'),
    }).flatMap(
      (policy) =>
        (policy as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );

  it('grants no "*" action and no service-wide wildcard on data services', () => {
    for (const [name, template] of templates()) {
      for (const statement of statements(template)) {
        for (const action of [statement.Action].flat()) {
          expect(action, name).not.toBe('*');
          expect(action, name).not.toMatch(/^(sqs|s3|rds-db|iot|glue|athena|secretsmanager|logs):\*$/);
        }
      }
    }
  });

  it('allows Resource "*" only for actions that have no resource-level permissions', () => {
    const allowed = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'iot:DescribeEndpoint',
      'cloudwatch:GetMetricData',
    ]);
    for (const [name, template] of templates()) {
      for (const statement of statements(template).filter((s) => s.Resource === '*')) {
        for (const action of [statement.Action].flat())
          expect(allowed.has(action), `${action} on * in ${name}`).toBe(true);
      }
    }
  });
});
