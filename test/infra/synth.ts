import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aspects, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { declareFleetAuditTrail } from '../../infra/fleet-audit-app.ts';

/** The context `cdk synth` reads from cdk.json: the tests synthesize exactly what a deploy would. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/** Bundling every function with esbuild takes seconds: synthesize once per test file, in `beforeAll`. */
export function synthesize(options: { context?: Record<string, unknown>; nag?: boolean } = {}) {
  const app = new App({ context: { ...CDK_CONTEXT, ...options.context } });
  const declared = declareFleetAuditTrail(app);
  if (options.nag) Aspects.of(app).add(new AwsSolutionsChecks());
  const assembly = app.synth();
  return {
    assembly,
    config: declared.config,
    stacks: { stateful: declared.stateful, stateless: declared.stateless },
    stateful: Template.fromStack(declared.stateful),
    stateless: Template.fromStack(declared.stateless),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, navigated freely by the assertions
type Json = any;
export type Resource = { Type: string; Properties: Record<string, Json>; Metadata?: Record<string, Json> };

/** The functions of the trail (not CDK's own providers), keyed by their Powertools service name. */
export function auditFunctions(template: Template): Map<string, Resource> {
  const functions = new Map<string, Resource>();
  for (const resource of Object.values(template.findResources('AWS::Lambda::Function')) as Resource[]) {
    const service = resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (service) functions.set(service, resource);
  }
  return functions;
}

/** The statements of every IAM policy attached to a function's role (not the managed policies). */
export function roleStatements(template: Template, fn: Resource): Json[] {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[])
    .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The folder a function's code asset was staged in (its S3 key is the asset hash plus `.zip`). */
export function assetDirectory(assembly: { directory: string }, fn: Resource): string {
  const key: string = fn.Properties.Code.S3Key;
  return join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
}

export function only<T>(values: Record<string, T>): T {
  const all = Object.values(values);
  if (all.length !== 1) throw new Error(`expected exactly one resource, found ${all.length}`);
  return all[0]!;
}

/**
 * Stand-ins for the pseudo parameters. The stacks are environment-agnostic, so every stack synthesized here deploys
 * to the same account and region as far as these helpers can tell: exactly the case of two environments in one account.
 */
export const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::AccountId': '111122223333',
  'AWS::Region': 'eu-west-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * The string CloudFormation makes of a template value in the stack `stackName`, or undefined when it depends on a
 * resource (Ref, Fn::GetAtt, Fn::ImportValue, …): that is known only at deploy time.
 */
export function resolveLiteral(value: Json, stackName: string): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || typeof value !== 'object') return undefined;
  if ('Ref' in value) return value.Ref === 'AWS::StackName' ? stackName : PSEUDO_PARAMETERS[value.Ref];
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    const resolved = parts.map((part) => resolveLiteral(part, stackName));
    return resolved.every((part) => part !== undefined) ? resolved.join(separator) : undefined;
  }
  return undefined;
}

/** IAM's `*` and `?` wildcards (ArnLike, StringLike) as a regular expression. */
export function iamWildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** cdk-nag's unsuppressed errors and warnings in the stacks (synthesized with `nag: true`), as `rule: message`. */
export function nagFindings(stacks: Iterable<Stack>): string[] {
  return [...stacks].flatMap((stack) => {
    const annotations = Annotations.fromStack(stack);
    return [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())].map(
      (finding) => `${finding.id}: ${String(finding.entry.data).slice(0, 160)}`,
    );
  });
}
