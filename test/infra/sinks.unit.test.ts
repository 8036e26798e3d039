import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.ts';
import { SINK_LAG_LIMIT } from '../../infra/constructs/alarms.ts';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import { auditFunctions, CDK_CONTEXT, nagFindings, roleStatements, synthesize } from './synth.ts';

const SINKS =
  'otlp=https://collector.internal:4318,splunk:soc=https://hec.internal:8088,webhook=https://siem.internal/hook';

let synthesized: ReturnType<typeof synthesize>;
beforeAll(() => {
  synthesized = synthesize({ nag: true, context: { sinks: SINKS } });
}, 300_000);

describe('the sinks context', () => {
  it('is parsed as SINKS is, and a bad entry names the key', () => {
    expect(parseConfig((key) => ({ ...CDK_CONTEXT, sinks: SINKS })[key]).sinks.map((s) => s.name)).toEqual([
      'otlp',
      'soc',
      'webhook',
    ]);
    expect(parseConfig((key) => CDK_CONTEXT[key]).sinks).toEqual([]);
    expect(() => parseConfig((key) => ({ ...CDK_CONTEXT, sinks: 'otlp=nope' })[key])).toThrow(/sinks: "otlp=nope"/);
  });
});

describe('the forwarder', () => {
  it('runs every minute, one at a time, in the VPC as audit_forwarder, with the sinks in its environment', () => {
    const fn = auditFunctions(synthesized.stateless).get('forwarder')!;
    expect(fn.Properties).toMatchObject({ ReservedConcurrentExecutions: 1, VpcConfig: expect.any(Object) });
    const env = fn.Properties.Environment.Variables;
    expect(env).toMatchObject({
      DB_USER: LOGIN_USERS.forwarder,
      SINKS:
        'otlp:otlp=https://collector.internal:4318,splunk:soc=https://hec.internal:8088,webhook:webhook=https://siem.internal/hook',
    });
    synthesized.stateless.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
  });

  it('may read the secrets of its splunk and webhook sinks, and connect as audit_forwarder only', () => {
    const secrets = synthesized.stateless.findResources('AWS::SecretsManager::Secret');
    const descriptions = Object.values(secrets).map(
      (s) => (s as { Properties: { Description: string } }).Properties.Description,
    );
    expect(descriptions.filter((d) => d.startsWith('Sink '))).toEqual([
      expect.stringMatching(/^Sink soc: the Splunk HEC token/),
      expect.stringMatching(/^Sink webhook: the webhook's HMAC-SHA256 key/),
    ]);
    const statements = roleStatements(synthesized.stateless, auditFunctions(synthesized.stateless).get('forwarder')!);
    const read = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect([read.map((s) => s.Resource)].flat(2)).toHaveLength(2);
    const connect = statements.filter((s) => [s.Action].flat().includes('rds-db:connect'));
    expect(JSON.stringify(connect)).toContain(`dbuser:`);
    expect(JSON.stringify(connect)).toContain(LOGIN_USERS.forwarder);
    expect(JSON.stringify(connect)).not.toContain(LOGIN_USERS.writer);
  });

  it('alarms per sink on lag (also when no figure comes: the forwarder stopped) and on a dead letter', () => {
    for (const sink of ['otlp', 'soc', 'webhook']) {
      synthesized.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `fleet-audit-dev/SinkLag-${sink}`,
        MetricName: 'SinkLagSeconds',
        Dimensions: [{ Name: 'sink', Value: sink }],
        Threshold: SINK_LAG_LIMIT.toSeconds(),
        TreatMissingData: 'breaching',
      });
      synthesized.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `fleet-audit-dev/SinkDeadLetters-${sink}`,
        MetricName: 'SinkDeadLetters',
        Dimensions: [{ Name: 'sink', Value: sink }],
      });
    }
  });

  it('passes cdk-nag with a reason on each suppression', () => {
    expect(nagFindings(Object.values(synthesized.stacks))).toEqual([]);
  });

  it('is not there without sinks', () => {
    expect(auditFunctions(synthesize().stateless).has('forwarder')).toBe(false);
  });
});
