import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Resource, resolveLiteral, synthesize } from './synth.ts';

/** A physical name a stack gives something, in the namespace where it must be unique. */
interface PhysicalName {
  /** `<resource type> <property path>`: a queue name and a bucket name never collide with each other. */
  namespace: string;
  name: string;
  where: string;
}

/**
 * Name-like properties that are not unique across an account and region, each with the reason: they name something
 * inside a parent resource, or refer to something the stack does not create. A key covers the properties under it.
 */
const NOT_ACCOUNT_WIDE: Record<string, string> = {
  'AWS::IAM::Policy PolicyName': 'an inline policy is named within the roles it is attached to',
  'AWS::IAM::Role Policies': 'an inline policy is named within its role',
  'AWS::ApiGatewayV2::Stage StageName': 'a stage is named within its API',
  'AWS::ApiGatewayV2::Authorizer Name': 'an authorizer is named within its API',
  'AWS::Cognito::UserPool AccountRecoverySetting': 'a recovery mechanism, not a resource',
  'AWS::Cognito::UserPoolGroup GroupName': 'a group is named within its user pool',
  'AWS::RDS::DBProxyTargetGroup TargetGroupName': 'a target group is named within its proxy (and must be "default")',
  'AWS::RDS::DBCluster DatabaseName': 'the database created inside the cluster',
  'AWS::RDS::DBCluster DBClusterParameterGroupName': "the engine's default parameter group, used, not created",
  'AWS::Glue::Table TableInput': 'a table (its columns, its partition keys) is named within its Glue database',
  'AWS::EC2::VPCEndpoint ServiceName': 'the AWS service the endpoint connects to',
  'AWS::CloudWatch::Alarm MetricName': 'the metric watched, not a resource',
  'AWS::CloudWatch::Alarm Dimensions': 'a metric dimension, not a resource',
};
const isAccountWide = (namespace: string) =>
  !Object.keys(NOT_ACCOUNT_WIDE).some((key) => namespace === key || namespace.startsWith(`${key}.`));

/**
 * Properties that name something: DBProxyName, QueueName, DatabaseInput.Name, DBClusterIdentifier, … Names AWS lets
 * repeat (an API's, a topic's display name) count too: two environments should not look alike in a console or an email.
 */
const NAME_PROPERTY = /(Name|Identifier)$/;

/**
 * Every explicit physical name of a stack. A value that depends on a resource (a Ref, Fn::GetAtt or Fn::ImportValue,
 * alone or inside a Join) is skipped: it resolves at deploy time to something CloudFormation made unique.
 */
function physicalNames(stack: Stack): PhysicalName[] {
  const template = Template.fromStack(stack).toJSON();
  const names: PhysicalName[] = [
    { namespace: 'AWS::CloudFormation::Stack', name: stack.stackName, where: stack.stackName },
  ];
  const collect = (namespace: string, value: unknown, where: string) => {
    if (!isAccountWide(namespace)) return;
    const name = resolveLiteral(value, stack.stackName);
    if (name !== undefined) names.push({ namespace, name, where });
  };
  const walk = (type: string, path: string, value: unknown, where: string): void => {
    if (Array.isArray(value)) for (const item of value) walk(type, path, item, where);
    else if (value && typeof value === 'object')
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        if (NAME_PROPERTY.test(key)) collect(`${type} ${childPath}`, child, where);
        else if (!key.startsWith('Fn::')) walk(type, childPath, child, where);
      }
  };
  for (const [id, resource] of Object.entries(template.Resources as Record<string, Resource>))
    walk(resource.Type, '', resource.Properties, `${stack.stackName}/${id}`);
  for (const [id, output] of Object.entries((template.Outputs ?? {}) as Record<string, { Export?: { Name: unknown } }>))
    if (output.Export) collect('Export', output.Export.Name, `${stack.stackName} output ${id}`);
  return names;
}

const ENVIRONMENTS = ['dev', 'prod'] as const;
let stacksByEnvironment: Record<(typeof ENVIRONMENTS)[number], Stack[]>;

beforeAll(() => {
  const stacksOf = (envName: string) => {
    // Names do not depend on the function code: skip bundling (what `cdk synth` does for stacks it does not deploy).
    const { stacks } = synthesize({ context: { envName, 'aws:cdk:bundling-stacks': [] } });
    return Object.values(stacks);
  };
  stacksByEnvironment = { dev: stacksOf('dev'), prod: stacksOf('prod') };
}, 300_000);

describe('two environments in one account and region', () => {
  it('give nothing the same physical name', () => {
    const [dev, prod] = ENVIRONMENTS.map((envName) => stacksByEnvironment[envName].flatMap(physicalNames));
    // The walk finds the names (not vacuous): the stacks themselves, and names set inside nested properties.
    for (const names of [dev!, prod!]) {
      const namespaces = names.map((name) => name.namespace);
      for (const expected of [
        'AWS::CloudFormation::Stack',
        'AWS::RDS::DBProxy DBProxyName',
        'AWS::Glue::Database DatabaseInput.Name',
      ])
        expect(namespaces).toContain(expected);
    }
    const key = (name: PhysicalName) => `${name.namespace}: ${name.name}`;
    const prodKeys = new Set(prod!.map(key));
    const collisions = dev!.filter((name) => prodKeys.has(key(name))).map((name) => `${key(name)} (${name.where})`);
    expect(collisions).toEqual([]);
  });

  it('name IoT topic rules, when they do, with letters, digits and "_" only', () => {
    let rules = 0;
    for (const stack of ENVIRONMENTS.flatMap((envName) => stacksByEnvironment[envName]))
      for (const rule of Object.values(Template.fromStack(stack).findResources('AWS::IoT::TopicRule')) as Resource[]) {
        rules++;
        // Unnamed, CloudFormation generates a valid name; a name set here must match IoT's pattern itself.
        if (rule.Properties.RuleName !== undefined)
          expect(resolveLiteral(rule.Properties.RuleName, stack.stackName), stack.stackName).toMatch(/^[a-zA-Z0-9_]+$/);
      }
    expect(rules).toBeGreaterThan(0);
  });
});
