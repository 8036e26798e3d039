import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { INGEST_RULE_SQL } from '../../infra/constructs/iot-ingest.ts';
import { QUERY_ROUTES } from '../../shared/access/policy.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/alerts/publish-critical.ts';
import { archiveKeyPrefix } from '../../shared/archive/schema.ts';
import type { MaintenanceResult } from '../../shared/lifecycle/maintain.ts';
import { recordMaintenanceMetrics } from '../../shared/lifecycle/report.ts';
import {
  assetDirectory,
  auditFunctions,
  iamWildcard,
  only,
  PSEUDO_PARAMETERS,
  type Resource,
  resolveLiteral,
  synthesize,
} from './synth.ts';

/** The IoT policy variable, as IoT Core reads it. */
const THING = '$' + '{iot:Connection.Thing.ThingName}';

let synthesized: ReturnType<typeof synthesize>;
let template: Template;
let functions: Map<string, Resource>;

beforeAll(() => {
  synthesized = synthesize({ context: { alarmEmail: 'ops@example.com' } });
  template = synthesized.stateless;
  functions = auditFunctions(template);
}, 300_000);

const logicalId = (resource: Resource) =>
  Object.entries(template.toJSON().Resources).find(([, candidate]) => candidate === resource)![0];

const queues = () => Object.values(template.findResources('AWS::SQS::Queue')) as Resource[];
const eventQueue = () => queues().find((queue) => queue.Properties.RedrivePolicy)!;
const deadLetterQueue = () => queues().find((queue) => !queue.Properties.RedrivePolicy)!;
const roleStatements = (service: string) => {
  const fn = functions.get(service)!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[])
    .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
};
const actionsOf = (service: string) =>
  roleStatements(service)
    .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat())
    .sort();

type Statement = {
  Effect: string;
  Principal?: { Service?: string | string[] };
  Action: string | string[];
  Resource: string | { Ref?: string } | (string | { Ref?: string })[];
  Condition?: Record<string, Record<string, unknown>>;
};

/** The Allow statements of a topic's policies that let CloudWatch (alarm actions) publish to it. */
const cloudWatchPublishStatements = (resources: Record<string, Resource>, topicId: string) =>
  Object.values(resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::SNS::TopicPolicy' &&
        resource.Properties.Topics.some((topic: { Ref?: string }) => topic.Ref === topicId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        [statement.Principal?.Service].flat().includes('cloudwatch.amazonaws.com') &&
        [statement.Action].flat().some((action) => action.toLowerCase() === 'sns:publish') &&
        [statement.Resource]
          .flat()
          .some((resource) => resource === '*' || (resource as { Ref?: string }).Ref === topicId),
    );

/** A condition key's value under one of `operators` (condition keys are case-insensitive). */
const conditionValue = (statement: Statement, key: string, operators: string[]) =>
  Object.entries(statement.Condition ?? {})
    .filter(([operator]) => operators.includes(operator))
    .flatMap(([, values]) => Object.entries(values))
    .find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];

describe('queue', () => {
  it('is FIFO with a FIFO dead-letter queue, producer ids for deduplication, high-throughput mode, SSE', () => {
    expect(queues()).toHaveLength(2);
    for (const queue of queues()) {
      expect(queue.Properties).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        SqsManagedSseEnabled: true,
      });
    }
  });

  it('redrives to the dead-letter queue after at least 5 receives', () => {
    const redrive = eventQueue().Properties.RedrivePolicy;
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
    const dlqId = Object.entries(template.findResources('AWS::SQS::Queue')).find(
      ([, q]) => q === deadLetterQueue(),
    )![0];
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
  });

  it('hides a message for at least 6x the writer timeout', () => {
    const writerTimeout = functions.get('writer')!.Properties.Timeout;
    expect(eventQueue().Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * writerTimeout);
  });

  it('refuses non-TLS access', () => {
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('functions', () => {
  it('are the six of the contract', () => {
    expect([...functions.keys()].sort()).toEqual([
      'ingest-http',
      'ingest-iot',
      'maintenance',
      'migrate',
      'query-api',
      'writer',
    ]);
  });

  it('run on Node.js 24, ARM64 (maintenance alone on x86_64, for DuckDB), with X-Ray, a log group and Powertools', () => {
    for (const [service, fn] of functions) {
      expect(fn.Properties, service).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: [service === 'maintenance' ? 'x86_64' : 'arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: service,
            POWERTOOLS_METRICS_NAMESPACE: 'FleetAuditTrail',
            LOG_LEVEL: 'INFO',
          }),
        },
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('ingest functions enqueue (QUEUE_URL, sqs:SendMessage) and nothing else', () => {
    for (const service of ['ingest-http', 'ingest-iot']) {
      expect(functions.get(service)!.Properties.Environment.Variables.QUEUE_URL).toEqual({ Ref: expect.any(String) });
      expect(functions.get(service)!.Properties.VpcConfig).toBeUndefined();
      expect(actionsOf(service)).toEqual([
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  });

  it('the writer consumes the queue, dead-letters poison itself, connects as audit_writer and publishes alerts', () => {
    const env = functions.get('writer')!.Properties.Environment.Variables;
    expect(env).toMatchObject({
      DLQ_URL: expect.anything(),
      DB_HOST: expect.anything(),
      DB_PORT: '5432',
      DB_NAME: 'audit',
      DB_USER: 'audit_owner',
      DB_IAM_AUTH: 'true',
      DB_ROLE: 'audit_writer',
      ALERT_TOPIC: CRITICAL_ALERT_TOPIC,
      IOT_ENDPOINT: expect.anything(),
    });
    expect(functions.get('writer')!.Properties.VpcConfig).toBeDefined();
    expect(actionsOf('writer')).toEqual([
      'iot:Publish',
      'rds-db:connect',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const publish = roleStatements('writer').find(
      (statement: { Action: string }) => statement.Action === 'iot:Publish',
    );
    expect(JSON.stringify(publish.Resource)).toContain(`:topic/${CRITICAL_ALERT_TOPIC}`);
  });

  it('the writer reads batches of 10 and reports partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('QueueEvents'), 'Arn'] },
    });
  });

  it('migrations connect as the owner (no DB_ROLE) and run at deploy, before the writer exists', () => {
    const env = functions.get('migrate')!.Properties.Environment.Variables;
    expect(env).toMatchObject({ DB_USER: 'audit_owner', DB_IAM_AUTH: 'true' });
    expect(env.DB_ROLE).toBeUndefined();
    expect(actionsOf('migrate')).toEqual(['rds-db:connect', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    const [triggerId, trigger] = Object.entries(template.findResources('Custom::Trigger'))[0]!;
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    const writer = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, fn]) => fn === functions.get('writer'),
    )!;
    expect(writer[1].DependsOn).toContain(triggerId);
  });
});

describe('lifecycle', () => {
  const maintenance = () => functions.get('maintenance')!;
  const env = () => maintenance().Properties.Environment.Variables;

  it('runs maintenance in the database network as the owner, with room for a long archival', () => {
    expect(maintenance().Properties).toMatchObject({
      Timeout: 900,
      MemorySize: 1536,
      EphemeralStorage: { Size: 2048 },
      ReservedConcurrentExecutions: 1,
      VpcConfig: { SubnetIds: expect.anything(), SecurityGroupIds: expect.anything() },
    });
    expect(env()).toMatchObject({ DB_USER: 'audit_owner', DB_IAM_AUTH: 'true', DB_PORT: '5432', DB_NAME: 'audit' });
    expect(env().DB_ROLE).toBeUndefined();
  });

  it('sets every lifecycle setting from the deploy config and the stateful stack', () => {
    expect(env()).toMatchObject({
      RETENTION_MONTHS: '13',
      PREMAKE_MONTHS: '3',
      ARCHIVE_URL: expect.anything(),
      ARCHIVE_ROWS_PER_FILE: '500000',
      ARCHIVE_WORK_DIR: expect.stringMatching(/^\/tmp\//),
      ATHENA_WORKGROUP: { 'Fn::ImportValue': expect.stringMatching(/ArchiveQueryWorkGroup/) },
      GLUE_DATABASE: { 'Fn::ImportValue': expect.stringMatching(/ArchiveQueryDatabase/) },
    });
    // SSE-S3 on the bucket: no KMS key to name.
    expect(env().ARCHIVE_KMS_KEY_ID).toBeUndefined();
  });

  it('archives where the Glue table projects its partitions', () => {
    const [scheme, bucket, rest] = env().ARCHIVE_URL['Fn::Join'][1];
    expect(bucket['Fn::ImportValue']).toMatch(/ArchiveBucket/);
    const table = only(synthesized.stateful.findResources('AWS::Glue::Table')) as Resource;
    const [tScheme, tBucket, tKeys] =
      table.Properties.TableInput.Parameters['storage.location.template']['Fn::Join'][1];
    expect(bucket['Fn::ImportValue']).toContain(tBucket.Ref);
    const month = { year: 2026, month: 5 };
    const projected = `${tScheme}B${(tKeys as string).replace('$' + '{year}', '2026').replace('$' + '{month}', '05')}`;
    expect(`${scheme}B${rest}${archiveKeyPrefix(month)}`).toBe(projected);
  });

  it('may write, read and list the archive, never delete', () => {
    expect(actionsOf('maintenance')).toEqual([
      'rds-db:connect',
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const objects = roleStatements('maintenance').find((statement: { Action: string[] }) =>
      [statement.Action].flat().includes('s3:PutObject'),
    );
    expect(JSON.stringify(objects.Resource)).toMatch(/"\/events\/\*"\]\]\}$/);
  });

  it('runs daily and once at deploy, after the migrations', () => {
    const rule = only(template.findResources('AWS::Events::Rule')) as Resource;
    expect(rule.Properties.ScheduleExpression).toBe('cron(45 4 * * ? *)');
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(maintenance()), 'Arn'] } }),
    ]);
    const triggers = Object.entries(template.findResources('Custom::Trigger')) as [
      string,
      Resource & { DependsOn?: string[] },
    ][];
    const [migrationsTrigger] = triggers.find(([id]) => id.startsWith('Migrations'))!;
    const [, trigger] = triggers.find(([id]) => id.startsWith('Lifecycle'))!;
    expect(trigger.Properties.InvocationType).toBe('Event');
    expect(JSON.stringify(trigger.Properties.HandlerArn)).toContain(logicalId(maintenance()).slice(0, 17));
    expect(trigger.DependsOn).toContain(migrationsTrigger);
  });

  it('ships the DuckDB native binding beside the bundle, where index.mjs resolves it', () => {
    const dir = assetDirectory(synthesized.assembly, maintenance());
    const require = createRequire(join(dir, 'index.mjs'));
    const api = require.resolve('@duckdb/node-api');
    expect(api.startsWith(join(dir, 'node_modules'))).toBe(true);
    const binding = createRequire(require.resolve('@duckdb/node-bindings')).resolve(
      '@duckdb/node-bindings-linux-x64/duckdb.node',
    );
    expect(binding.startsWith(join(dir, 'node_modules'))).toBe(true);
    // Other functions do not carry it.
    expect(existsSync(join(assetDirectory(synthesized.assembly, functions.get('writer')!), 'node_modules'))).toBe(
      false,
    );
  });
});

describe('HTTP API', () => {
  it('declares POST /events and every query route behind a JWT authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(['POST /events', ...QUERY_ROUTES].sort());
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('JWT');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT' });
  });

  it('routes the query API to query-api, which reads as audit_reader and enqueues its audit.accessed events', () => {
    const env = functions.get('query-api')!.Properties.Environment.Variables;
    expect(env).toMatchObject({ DB_ROLE: 'audit_reader', DB_IAM_AUTH: 'true', QUEUE_URL: expect.anything() });
    expect(actionsOf('query-api')).toEqual(expect.arrayContaining(['sqs:SendMessage', 'rds-db:connect']));
    expect(actionsOf('query-api').filter((action: string) => /^sqs:/.test(action))).toEqual(
      actionsOf('ingest-http').filter((action: string) => /^sqs:/.test(action)),
    );
  });

  it('throttles and logs the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue() },
    });
  });

  it('uses a Cognito user pool with one group per role, or the configured issuer', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')) as Resource[];
    expect(groups.map((group) => group.Properties.GroupName).sort()).toEqual([
      'admin',
      'auditor',
      'device',
      'operator',
    ]);
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });

    const external = synthesize({
      context: { jwtIssuer: 'https://login.example.com', jwtAudience: 'audit-trail' },
    }).stateless;
    external.resourceCountIs('AWS::Cognito::UserPool', 0);
    external.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://login.example.com', Audience: ['audit-trail'] },
    });
  }, 300_000);
});

describe('web UI', () => {
  const distributionId = () => Object.keys(template.findResources('AWS::CloudFront::Distribution'))[0]!;
  const filesBucketId = () =>
    Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('WebUiFiles'))!;

  it('is served by CloudFront over HTTPS only, from a private bucket through Origin Access Control', () => {
    const config = (only(template.findResources('AWS::CloudFront::Distribution')) as Resource).Properties
      .DistributionConfig;
    expect(config).toMatchObject({
      DefaultRootObject: 'index.html',
      DefaultCacheBehavior: {
        ViewerProtocolPolicy: 'https-only',
        // The managed SecurityHeadersPolicy.
        ResponseHeadersPolicyId: '67f7725c-6f97-4210-82d7-5512b31e9d03',
      },
      Origins: [
        {
          DomainName: { 'Fn::GetAtt': [filesBucketId(), 'RegionalDomainName'] },
          OriginAccessControlId: expect.anything(),
        },
      ],
      Logging: { Bucket: expect.anything() },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
    const bucket = template.findResources('AWS::S3::Bucket')[filesBucketId()] as Resource;
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: expect.anything(),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const policy = (Object.values(template.findResources('AWS::S3::BucketPolicy')) as Resource[]).find(
      (candidate) => candidate.Properties.Bucket.Ref === filesBucketId(),
    )!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({
          Effect: 'Allow',
          Action: 's3:GetObject',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
        }),
      ]),
    );
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain(`{"Ref":"${distributionId()}"}`);
  });

  it('publishes web/ with a config.json naming the API, and index.html at the root', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')) as Resource[];
    const files = deployments.find((deployment) => deployment.Properties.DestinationBucketKeyPrefix === 'web/')!;
    expect(files.Properties.SourceObjectKeys).toHaveLength(2);
    // config.json's apiUrl is filled in at deploy from the API's endpoint.
    const apiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0]!;
    expect(JSON.stringify(files.Properties.SourceMarkers)).toContain(`{"Fn::GetAtt":["${apiId}","ApiEndpoint"]}`);
    const root = deployments.find((deployment) => deployment !== files)!;
    expect(root.Properties).toMatchObject({ Prune: false });
    expect(root.Properties.DestinationBucketKeyPrefix).toBeUndefined();
    template.hasOutput('WebUiUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }]] },
    });
  });

  it('lets the API accept browser calls from the distribution only', () => {
    const api = only(template.findResources('AWS::ApiGatewayV2::Api')) as Resource;
    expect(api.Properties.CorsConfiguration).toEqual({
      AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }]] }],
      AllowMethods: ['GET', 'POST', 'DELETE'],
      AllowHeaders: ['authorization', 'content-type'],
      ExposeHeaders: ['content-disposition'],
      MaxAge: 3600,
    });
  });
});

describe('IoT', () => {
  it('routes audit/+/events to the ingest function with the contract SQL and keeps failed messages', () => {
    const rule = only(template.findResources('AWS::IoT::TopicRule')) as Resource;
    const payload = rule.Properties.TopicRulePayload;
    expect(payload.Sql).toBe(INGEST_RULE_SQL);
    expect(payload.Sql).toBe(
      "SELECT *, topic(2) AS thing, clientid() AS clientId, timestamp() AS receivedAt FROM 'audit/+/events'",
    );
    expect(payload.Actions).toEqual([
      { Lambda: { FunctionArn: { 'Fn::GetAtt': [expect.stringMatching(/^IotIngestFunction/), 'Arn'] } } },
    ]);
    expect(payload.ErrorAction.CloudwatchLogs).toMatchObject({
      LogGroupName: { Ref: expect.stringMatching(/FailedMessages/) },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'iot.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IotIngestRule'), 'Arn'] },
    });
  });

  it('lets a thing publish only on its own topic', () => {
    const policy = only(template.findResources('AWS::IoT::Policy')) as Resource;
    const statements = policy.Properties.PolicyDocument.Statement;
    const publish = statements.filter((statement: { Action: string }) => statement.Action === 'iot:Publish');
    expect(publish).toHaveLength(1);
    expect(JSON.stringify(publish[0].Resource)).toContain(`:topic/audit/${THING}/events`);
    const connect = statements.find((statement: { Action: string }) => statement.Action === 'iot:Connect');
    expect(JSON.stringify(connect.Resource)).toContain(`:client/${THING}`);
  });
});

describe('alarms', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
  const alarm = (metricName: string, dimension?: { Name: string; Value: unknown }) =>
    alarms().find(
      (a) =>
        a.Properties.MetricName === metricName &&
        (!dimension ||
          a.Properties.Dimensions?.some(
            (d: { Name: string; Value: unknown }) =>
              d.Name === dimension.Name && JSON.stringify(d.Value) === JSON.stringify(dimension.Value),
          )),
    );

  it('fires on any CRITICAL event within a minute, and not on missing data', () => {
    expect(alarm('Events')?.Properties).toMatchObject({
      Namespace: 'FleetAuditTrail',
      Dimensions: [{ Name: 'severity', Value: 'CRITICAL' }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('watches the dead letters, the oldest message and the writer', () => {
    expect(alarm('ApproximateNumberOfMessagesVisible')?.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm('ApproximateAgeOfOldestMessage')?.Properties).toMatchObject({
      Threshold: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const writerRef = { Ref: expect.stringMatching(/^WriterFunction/) };
    for (const metric of ['Errors', 'Throttles']) {
      const found = alarms().find(
        (a) => a.Properties.MetricName === metric && a.Properties.Dimensions[0].Value.Ref?.startsWith('WriterFunction'),
      );
      expect(found?.Properties, metric).toMatchObject({
        Threshold: 1,
        Dimensions: [{ Name: 'FunctionName', Value: writerRef }],
      });
    }
  });

  it('watch maintenance on the dimensions it emits: failures, and no run for 26 hours', () => {
    // Emitted through the shared Powertools instance, whose only default dimension is service = the service name.
    const emitted: string[] = [];
    const fake = { addMetric: (name: string) => emitted.push(name) };
    recordMaintenanceMetrics(
      fake as unknown as Metrics,
      {
        created: [],
        archived: [],
        status: 'ok',
      } as unknown as MaintenanceResult,
    );
    const service = { Name: 'service', Value: 'maintenance' };
    expect(functions.get('maintenance')!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe(service.Value);
    expect(emitted).toEqual(
      expect.arrayContaining(['MaintenanceRuns', 'MaintenanceFailures', 'PartitionsArchived', 'PartitionsCreated']),
    );
    expect(alarm('MaintenanceFailures', service)?.Properties).toMatchObject({
      Namespace: 'FleetAuditTrail',
      Dimensions: [service],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const notRun = alarm('MaintenanceRuns', service)?.Properties;
    expect(notRun).toMatchObject({
      Namespace: 'FleetAuditTrail',
      Dimensions: [service],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 26,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    // CloudWatch's limit for periods of an hour or more: Period x EvaluationPeriods <= 7 days.
    expect(notRun!.Period * notRun!.EvaluationPeriods).toBeLessThanOrEqual(7 * 86_400);
    for (const metric of ['Errors', 'Throttles']) {
      const found = alarms().find(
        (a) =>
          a.Properties.MetricName === metric && a.Properties.Dimensions[0].Value.Ref?.startsWith('LifecycleFunction'),
      );
      expect(found?.Properties.Threshold, metric).toBe(1);
    }
  });

  it('watch every function but the migrations (a failed migration fails the deploy) for errors and throttles, on the dashboard too', () => {
    const dashboard = JSON.stringify(only(template.findResources('AWS::CloudWatch::Dashboard')));
    const watched = [...functions].filter(([service]) => service !== 'migrate');
    expect(watched.map(([service]) => service)).toContain('query-api');
    for (const [service, fn] of watched) {
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }];
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms().find(
          (a) =>
            a.Properties.Namespace === 'AWS/Lambda' &&
            a.Properties.MetricName === metric &&
            JSON.stringify(a.Properties.Dimensions) === JSON.stringify(dimensions),
        );
        expect(found?.Properties, `${service} ${metric}`).toMatchObject({
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [expect.anything()],
        });
      }
      expect(dashboard, `${service} on the dashboard`).toContain(JSON.stringify(dimensions[0]!.Value));
    }
    expect(dashboard).toContain('Query API duration');
  });

  it('notify one SNS topic with the configured email subscription', () => {
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
    for (const a of alarms()) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('reach people: every alarm action is a topic whose policy lets CloudWatch publish for the alarms of this account', () => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const stackName = synthesized.stacks.stateless.stackName;
    const { 'AWS::Partition': partition, 'AWS::Region': region, 'AWS::AccountId': account } = PSEUDO_PARAMETERS;
    const alarmArnPrefix = `arn:${partition}:cloudwatch:${region}:${account}:alarm:`;
    const problems: string[] = [];
    const entries = Object.entries(template.findResources('AWS::CloudWatch::Alarm')) as [string, Resource][];
    expect(entries.length).toBeGreaterThan(0);
    for (const [alarmId, alarm] of entries) {
      const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap(
        (key) => alarm.Properties[key] ?? [],
      );
      // The same topic usually serves ALARM and OK: check each target once.
      const targets = [...new Map(actions.map((action) => [JSON.stringify(action), action])).values()];
      if (actions.length === 0) problems.push(`${alarmId} notifies no one`);
      // Without an AlarmName, CloudFormation generates one: only a policy for any alarm name can cover it.
      const name = alarm.Properties.AlarmName && resolveLiteral(alarm.Properties.AlarmName, stackName);
      for (const action of targets) {
        const topicId = action.Ref;
        const topic = resources[topicId];
        if (topic?.Type !== 'AWS::SNS::Topic') {
          problems.push(`${alarmId}: action ${JSON.stringify(action)} is not a topic of this stack`);
          continue;
        }
        // CloudWatch also needs kms:Decrypt and kms:GenerateDataKey* in the key policy of an encrypted topic.
        if (topic.Properties.KmsMasterKeyId) problems.push(`${topicId} is encrypted: check its key policy here too`);
        const allows = cloudWatchPublishStatements(resources, topicId);
        if (allows.length === 0) problems.push(`${alarmId} → ${topicId}: no Allow for CloudWatch to sns:Publish`);
        const scoped = allows.filter((statement) => {
          const sourceAccount = conditionValue(statement, 'aws:SourceAccount', ['StringEquals']);
          const sourceArn = conditionValue(statement, 'aws:SourceArn', ['ArnLike', 'ArnEquals']);
          const pattern = resolveLiteral(sourceArn, stackName);
          return (
            resolveLiteral(sourceAccount, stackName) === account &&
            pattern?.startsWith(alarmArnPrefix) &&
            (name ? iamWildcard(pattern).test(`${alarmArnPrefix}${name}`) : pattern === `${alarmArnPrefix}*`)
          );
        });
        if (allows.length > 0 && scoped.length === 0)
          problems.push(
            `${alarmId} → ${topicId}: no Allow scoped to aws:SourceAccount and an aws:SourceArn covering alarm ${name ?? '(generated name)'}`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('are the only publishers to an SNS topic (another would need its own check above)', () => {
    for (const checked of [synthesized.stateful, synthesized.stateless]) {
      const { Resources: resources, Outputs: outputs = {} } = checked.toJSON();
      for (const topicId of Object.keys(checked.findResources('AWS::SNS::Topic'))) {
        const reference = new RegExp(`\\{"(Ref|Fn::GetAtt)":\\[?"${topicId}"`);
        const referrers = Object.entries(resources as Record<string, Resource>)
          .filter(([, resource]) => reference.test(JSON.stringify(resource.Properties ?? {})))
          .map(([id, resource]) => `${resource.Type} ${id}`)
          .filter((referrer) => !/^AWS::(SNS::TopicPolicy|SNS::Subscription|CloudWatch::Alarm) /.test(referrer));
        expect(referrers, topicId).toEqual([]);
        expect(JSON.stringify(outputs), `${topicId} is exported`).not.toMatch(reference);
      }
    }
  });

  it('and the dashboard shows events by severity and by type, the queue, the writer and the database', () => {
    const dashboard = JSON.stringify(only(template.findResources('AWS::CloudWatch::Dashboard')));
    for (const text of [
      'Events written per minute, by severity',
      'Events written per minute, by type',
      "SEARCH('{FleetAuditTrail,type} MetricName=",
      'EventsByType',
      'Queue depth',
      'Writer duration',
      'Database load',
      'ServerlessDatabaseCapacity',
      'Maintenance duration',
      'Archive runs',
      'PartitionsArchived',
      'PartitionsCreated',
    ]) {
      expect(dashboard).toContain(text);
    }
  });
});
