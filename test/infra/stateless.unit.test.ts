import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { INGEST_RULE_SQL } from '../../infra/constructs/iot-ingest.ts';
import { emitEventMetrics } from '../../shared/apps/runtime/event-metrics.ts';
import { QUERY_ROUTES } from '../../shared/core/access/policy.ts';
import { archiveKeyPrefix } from '../../shared/core/archive/schema.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import { API_ACCESS_LOG_FORMAT } from '../../shared/core/contracts/api-access-log.ts';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import {
  EMITTED_METRICS,
  EVENT_METRICS,
  MAINTENANCE_METRICS,
  MAINTENANCE_SERVICE,
  METRICS_NAMESPACE,
  SEALER_METRICS,
  SEALER_SERVICE,
  VERIFICATION_METRICS,
} from '../../shared/core/contracts/metrics.ts';
import { MAX_RECEIVE_COUNT, WRITER_BATCH_SIZE } from '../../shared/core/contracts/queue.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { DEFAULT_MAX_CONTINUATIONS } from '../../shared/core/lifecycle/continuation.ts';
import { recordContinuationMetrics, recordMaintenanceMetrics } from '../../shared/core/lifecycle/report.ts';
import type { MaintenanceResult } from '../../shared/core/lifecycle/result.ts';
import { nextScheduledRun } from '../../shared/core/lifecycle/schedule.ts';
import {
  assetDirectory,
  auditFunctions,
  roleStatements as functionRoleStatements,
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
/** The FIFO ingest buffer and its dead-letter queue (construct `Queue`), not the IoT on-failure queue. */
const ingestQueues = () =>
  Object.entries(template.findResources('AWS::SQS::Queue'))
    .filter(([id]) => id.startsWith('Queue'))
    .map(([, queue]) => queue as Resource);
const eventQueue = () => ingestQueues().find((queue) => queue.Properties.RedrivePolicy)!;
const deadLetterQueue = () => ingestQueues().find((queue) => !queue.Properties.RedrivePolicy)!;
const failedInvocationsId = () =>
  Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('IotIngestFailedInvocations'))!;
const roleStatements = (service: string) => functionRoleStatements(template, functions.get(service)!);
/** A Fn::Join of strings and tokens, with each token written as its JSON: enough to read the keys of a JSON value. */
const resolveJoin = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(JSON.stringify(part)).slice(1, -1)))
    .join(separator);
};
/** A function's SQS actions, by the logical id of the queue they are granted on. */
const sqsActionsByQueue = (service: string) => {
  const byQueue: Record<string, string[]> = {};
  for (const statement of roleStatements(service)) {
    const actions = [statement.Action].flat().filter((action: string) => action.startsWith('sqs:'));
    if (actions.length === 0) continue;
    expect(statement.Effect).toBe('Allow');
    // CDK merges statements with the same actions into one with several resources.
    for (const resource of [statement.Resource].flat()) {
      const queueId: string = resource['Fn::GetAtt'][0];
      expect(resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      byQueue[queueId] = [...(byQueue[queueId] ?? []), ...actions].sort();
    }
  }
  return byQueue;
};
/** The role statement of a function that allows `action`. */
const statementAllowing = (service: string, action: string) =>
  roleStatements(service).find((statement: { Action: string | string[] }) =>
    [statement.Action].flat().includes(action),
  );
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
    expect(queues()).toHaveLength(3);
    expect(ingestQueues()).toHaveLength(2);
    for (const queue of ingestQueues()) {
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
  it('are the eight of the contract', () => {
    expect([...functions.keys()].sort()).toEqual([
      'ingest-http',
      'ingest-iot',
      'interaction-log',
      'maintenance',
      'migrate',
      'query-api',
      'sealer',
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
    const send = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
    const eventQueueId = logicalId(eventQueue());
    for (const service of ['ingest-http', 'ingest-iot', 'interaction-log']) {
      expect(functions.get(service)!.Properties.Environment.Variables.QUEUE_URL).toEqual({ Ref: eventQueueId });
      expect(functions.get(service)!.Properties.VpcConfig).toBeUndefined();
      expect(actionsOf(service)).toEqual([...send, 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
    expect(sqsActionsByQueue('ingest-http')).toEqual({ [eventQueueId]: send });
    expect(sqsActionsByQueue('interaction-log')).toEqual({ [eventQueueId]: send });
    // ingest-iot also sends Lambda's on-failure records to its own queue (see IoT below), and nowhere else.
    expect(sqsActionsByQueue('ingest-iot')).toEqual({ [eventQueueId]: send, [failedInvocationsId()]: send });
  });

  it('the writer consumes the queue, dead-letters poison itself, connects as audit_writer and publishes alerts', () => {
    const env = functions.get('writer')!.Properties.Environment.Variables;
    expect(env).toMatchObject({
      DLQ_URL: expect.anything(),
      DB_HOST: expect.anything(),
      DB_PORT: '5432',
      DB_NAME: 'audit',
      DB_USER: 'audit_writer',
      DB_IAM_AUTH: 'true',
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

  it("migrations connect as the owner, read the login users' secrets, and run at deploy, before the writer exists", () => {
    const env = functions.get('migrate')!.Properties.Environment.Variables;
    expect(env).toMatchObject({ DB_USER: 'audit_owner', DB_IAM_AUTH: 'true' });
    expect(Object.keys(JSON.parse(resolveJoin(env.DB_LOGIN_SECRETS))).sort()).toEqual([
      'audit_forwarder',
      'audit_reader',
      'audit_sealer',
      'audit_writer',
    ]);
    expect(actionsOf('migrate')).toEqual([
      'rds-db:connect',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // The login users' secrets, the ones DB_LOGIN_SECRETS names; not the owner's.
    const read = statementAllowing('migrate', 'secretsmanager:GetSecretValue');
    expect([read.Resource].flat()).toHaveLength(Object.keys(LOGIN_USERS).length);
    for (const arn of [read.Resource].flat())
      expect(resolveJoin(env.DB_LOGIN_SECRETS)).toContain(JSON.stringify(JSON.stringify(arn)).slice(1, -1));
    // Only the migrate function may read the login users' passwords; the query API reads its cursor secret alone.
    const loginSecrets = [read.Resource].flat().map((arn) => JSON.stringify(arn));
    for (const service of functions.keys()) {
      if (service === 'migrate') continue;
      const reads = roleStatements(service).filter((statement: Statement) =>
        [statement.Action].flat().includes('secretsmanager:GetSecretValue'),
      );
      const resources = reads.flatMap((statement: Statement) =>
        [statement.Resource].flat().map((r) => JSON.stringify(r)),
      );
      expect(
        resources.filter((arn: string) => loginSecrets.includes(arn)),
        service,
      ).toEqual([]);
      if (service !== 'query-api') expect(reads, service).toEqual([]);
    }
    const [triggerId, trigger] = Object.entries(template.findResources('Custom::Trigger'))[0]!;
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    const writer = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, fn]) => fn === functions.get('writer'),
    )!;
    expect(writer[1].DependsOn).toContain(triggerId);
  });
});

describe('database users', () => {
  it('each function may connect through the proxy only as the user it logs in as; only migrate and maintenance as the owner', () => {
    const connecting = [...functions.keys()].filter((service) => actionsOf(service).includes('rds-db:connect'));
    expect(connecting.sort()).toEqual(['maintenance', 'migrate', 'query-api', 'sealer', 'writer']);
    const expectedUser: Record<string, string> = {
      maintenance: 'audit_owner',
      migrate: 'audit_owner',
      'query-api': 'audit_reader',
      sealer: 'audit_sealer',
      writer: 'audit_writer',
    };
    for (const service of connecting) {
      const user = functions.get(service)!.Properties.Environment.Variables.DB_USER;
      expect(user, service).toBe(expectedUser[service]);
      const resources = roleStatements(service)
        .filter((statement: { Action: string }) => statement.Action === 'rds-db:connect')
        .flatMap((statement: { Resource: unknown }) => [statement.Resource].flat());
      expect(resources, service).toHaveLength(1);
      // arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy id>/<user>
      expect(JSON.stringify(resources[0]), service).toMatch(new RegExp(`:dbuser:.*/${user}"\\]\\]\\}$`));
    }
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

  it('may write, read and list the archive, read the archived log, never delete', () => {
    expect(actionsOf('maintenance')).toEqual([
      'kms:GetPublicKey',
      'lambda:InvokeFunction',
      'rds-db:connect',
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const objects = statementAllowing('maintenance', 's3:PutObject');
    expect(JSON.stringify(objects.Resource)).toMatch(/"\/events\/\*"\]\]\}$/);
    // The scheduled verification reads the checkpoints and leaf files under log/, and writes nothing there.
    const log = roleStatements('maintenance').filter((statement: Statement) =>
      JSON.stringify(statement.Resource).endsWith('"/log/*"]]}'),
    );
    expect(log.map((statement: Statement) => statement.Action)).toEqual(['s3:GetObject']);
  });

  it('may invoke itself, and no other function, to continue a paused archival; Lambda retries a failed run twice', () => {
    const invoke = roleStatements('maintenance').filter((statement: { Action: string | string[] }) =>
      [statement.Action].flat().some((action) => action.startsWith('lambda:')),
    );
    expect(invoke).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(maintenance()), 'Arn'] },
      },
    ]);
    // No other function's role may invoke it (the schedule and the deploy trigger have their own permissions).
    for (const [service] of functions) {
      if (service !== 'maintenance') expect(actionsOf(service), service).not.toContain('lambda:InvokeFunction');
    }
    expect(env().MAINTENANCE_MAX_CONTINUATIONS).toBe(String(DEFAULT_MAX_CONTINUATIONS));
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(maintenance()) },
      MaximumRetryAttempts: 2,
    });
    // The deploy-time run may already need to continue: its trigger waits for the self-invoke right.
    const [policyId] = Object.entries(template.findResources('AWS::IAM::Policy')).find(([, policy]) =>
      JSON.stringify(policy).includes('lambda:InvokeFunction'),
    )!;
    const [, trigger] = Object.entries(template.findResources('Custom::Trigger')).find(([id]) =>
      id.startsWith('Lifecycle'),
    )!;
    expect(trigger.DependsOn).toContain(policyId);
  });

  it('runs daily and once at deploy, after the migrations', () => {
    const rule = (Object.values(template.findResources('AWS::Events::Rule')) as Resource[]).find((candidate) =>
      candidate.Properties.ScheduleExpression.startsWith('cron('),
    )!;
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
    expect(env).toMatchObject({ DB_USER: 'audit_reader', DB_IAM_AUTH: 'true', QUEUE_URL: expect.anything() });
    expect(actionsOf('query-api')).toEqual(expect.arrayContaining(['sqs:SendMessage', 'rds-db:connect']));
    // Sends to the events queue as ingest does (which covers reading its depth); reads the dead-letter queue's depth
    // for GET /operations; nothing more.
    const send = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
    const monitor = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
    expect(sqsActionsByQueue('query-api')).toEqual({
      [logicalId(eventQueue())]: send,
      [logicalId(deadLetterQueue())]: monitor,
    });
    expect(env.DLQ_URL).toEqual({ Ref: logicalId(deadLetterQueue()) });
  });

  it('lets the query API read the archive through Athena: its workgroup and database, and the archive query rights', () => {
    const fn = functions.get('query-api')!;
    const env = fn.Properties.Environment.Variables;
    // Without both, archived months are answered with a 503 (proofs) or pointed at without a way to read them.
    expect(JSON.stringify(env.ATHENA_WORKGROUP)).toMatch(/ArchiveQueryWorkGroup/);
    expect(JSON.stringify(env.GLUE_DATABASE)).toMatch(/ArchiveQueryDatabase/);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const role = template.findResources('AWS::IAM::Role')[roleId] as Resource;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/ArchiveQueryAccess/);
    // The other functions are not given those rights.
    const holders = Object.values(template.findResources('AWS::IAM::Role')).filter((r) =>
      /ArchiveQueryAccess/.test(JSON.stringify((r as Resource).Properties.ManagedPolicyArns ?? [])),
    );
    expect(holders).toHaveLength(1);
  });

  it('gives the query API what GET /operations reads from CloudWatch: the names as env, GetMetricData on its role alone', () => {
    const fn = functions.get('query-api')!;
    const env = fn.Properties.Environment.Variables;
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as Resource[];
    const maintenanceRule = rules.find((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(logicalId(functions.get('maintenance')!)),
    )!;
    expect(env).toMatchObject({
      EVENTS_QUEUE_NAME: { 'Fn::GetAtt': [logicalId(eventQueue()), 'QueueName'] },
      WRITER_FUNCTION_NAME: { Ref: logicalId(functions.get('writer')!) },
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      MAINTENANCE_SCHEDULE: maintenanceRule.Properties.ScheduleExpression,
    });
    // The schedule is one the view can tell the next run of.
    expect(nextScheduledRun(env.MAINTENANCE_SCHEDULE, new Date('2026-12-01T10:00:00Z'))).not.toBeNull();
    // GetMetricData has no resource-level permissions: one statement, that action alone on "*", on the query API's
    // role and no other.
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const granting = policies.filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('cloudwatch:'),
    );
    expect(granting).toHaveLength(1);
    expect(granting[0]!.Properties.Roles).toEqual([{ Ref: fn.Properties.Role['Fn::GetAtt'][0] }]);
    expect(granting[0]!.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
    for (const service of functions.keys())
      if (service !== 'query-api')
        expect(
          actionsOf(service).filter((action) => action.startsWith('cloudwatch:')),
          service,
        ).toEqual([]);
  });

  it('lets the query API, and no other function, read the cursor secret it is told of', () => {
    const env = functions.get('query-api')!.Properties.Environment.Variables;
    expect(JSON.stringify(env.CURSOR_SECRET_ARN)).toMatch(/CursorSecret/);
    const reading = [...functions.keys()].filter((service) =>
      roleStatements(service).some(
        (statement: Statement) =>
          [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(statement.Resource) === JSON.stringify(env.CURSOR_SECRET_ARN),
      ),
    );
    expect(reading).toEqual(['query-api']);
  });

  it('throttles and logs the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue() },
    });
  });

  it('writes every request to the access log as JSON, which a subscription filter hands to interaction-log', () => {
    const stage = only(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toEqual(API_ACCESS_LOG_FORMAT);
    const accessLogGroupId = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    const filter = only(template.findResources('AWS::Logs::SubscriptionFilter'));
    expect(filter.Properties).toMatchObject({
      LogGroupName: { Ref: accessLogGroupId },
      FilterPattern: '',
      DestinationArn: { 'Fn::GetAtt': [logicalId(functions.get('interaction-log')!), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'logs.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(functions.get('interaction-log')!), 'Arn'] },
    });
  });

  it('uses a Cognito user pool with one group per role, or the configured issuer', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')) as Resource[];
    expect(groups.map((group) => group.Properties.GroupName).sort()).toEqual([
      'admin',
      'auditor',
      'device',
      'identity',
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
    // The device's bytes as one value beside the rule's fields: a device cannot write thing, clientId or receivedAt.
    expect(payload.Sql).toBe(
      "SELECT encode(*, 'base64') AS payload, topic(2) AS thing, clientid() AS clientId, timestamp() AS receivedAt FROM 'audit/+/events'",
    );
    // encode() came with SQL version 2016-03-23.
    expect(payload.AwsIotSqlVersion).toBe('2016-03-23');
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

  it('sends an invocation Lambda gave up on to an encrypted, TLS-only on-failure queue kept 14 days', () => {
    const configs = (Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as Resource[]).filter(
      (config) => config.Properties.FunctionName.Ref === logicalId(functions.get('ingest-iot')!),
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]!.Properties).toEqual({
      FunctionName: { Ref: logicalId(functions.get('ingest-iot')!) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failedInvocationsId(), 'Arn'] } } },
    });
    const queue = template.findResources('AWS::SQS::Queue')[failedInvocationsId()] as Resource;
    // Lambda destinations take standard queues only.
    expect(queue.Properties.FifoQueue).toBeUndefined();
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const policy = (Object.values(template.findResources('AWS::SQS::QueuePolicy')) as Resource[]).find(
      (candidate) => candidate.Properties.Queues[0].Ref === failedInvocationsId(),
    )!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    );
    // The function's own role delivers the record.
    expect(sqsActionsByQueue('ingest-iot')[failedInvocationsId()]).toContain('sqs:SendMessage');
    template.hasOutput('IotFailedInvocationsQueueUrl', { Value: { Ref: failedInvocationsId() } });
  });

  it('exports what `trail dlq` needs on AWS: both queue URLs, the IoT on-failure queue and the ingest function', () => {
    template.hasOutput('EventQueueUrl', { Value: { Ref: logicalId(eventQueue()) } });
    template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: logicalId(deadLetterQueue()) } });
    template.hasOutput('IotFailedInvocationsQueueUrl', { Value: { Ref: failedInvocationsId() } });
    template.hasOutput('IotIngestFunctionName', { Value: { Ref: logicalId(functions.get('ingest-iot')!) } });
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

  it('grants a thing exactly: connect as itself, publish on its topic, subscribe to and receive the alert topic', () => {
    const policy = only(template.findResources('AWS::IoT::Policy')) as Resource;
    const statements = policy.Properties.PolicyDocument.Statement as {
      Effect: string;
      Action: string;
      Resource: unknown;
    }[];
    // The same rules as the embedded broker's (shared/core/access/mqtt-policy.ts); nothing else, e.g. no RetainPublish.
    expect(statements.map((statement) => [statement.Effect, statement.Action])).toEqual([
      ['Allow', 'iot:Connect'],
      ['Allow', 'iot:Publish'],
      ['Allow', 'iot:Subscribe'],
      ['Allow', 'iot:Receive'],
    ]);
    const resource = (action: string) => JSON.stringify(statements.find((s) => s.Action === action)!.Resource);
    expect(resource('iot:Subscribe')).toMatch(new RegExp(`:topicfilter/${CRITICAL_ALERT_TOPIC}"`));
    expect(resource('iot:Receive')).toMatch(new RegExp(`:topic/${CRITICAL_ALERT_TOPIC}"`));
    // No wildcard anywhere: `#` or `+` in a filter, `*` in a resource would widen a thing's rights to others' topics.
    for (const statement of statements) expect(JSON.stringify(statement.Resource)).not.toMatch(/[#+*]/);
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
    const dlqName = { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(deadLetterQueue()), 'QueueName'] } };
    expect(alarm('ApproximateNumberOfMessagesVisible', dlqName)?.Properties).toMatchObject({
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

  it('fire on any record in the IoT ingest on-failure queue', () => {
    const queueName = { Name: 'QueueName', Value: { 'Fn::GetAtt': [failedInvocationsId(), 'QueueName'] } };
    const found = alarm('ApproximateNumberOfMessagesVisible', queueName)?.Properties;
    expect(found).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [queueName],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
    expect(found!.AlarmActions).toEqual([{ Ref: topicId }]);
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
    recordContinuationMetrics(fake as unknown as Metrics, { action: 'none' });
    const service = { Name: 'service', Value: 'maintenance' };
    expect(functions.get('maintenance')!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe(service.Value);
    expect(emitted).toEqual(
      expect.arrayContaining([
        'MaintenanceRuns',
        'MaintenanceFailures',
        'PartitionsArchived',
        'PartitionsCreated',
        'MaintenanceContinuationsStopped',
      ]),
    );
    // A chain of continuations that stopped at its bound, with the month still unfinished.
    expect(alarm('MaintenanceContinuationsStopped', service)?.Properties).toMatchObject({
      Namespace: 'FleetAuditTrail',
      Dimensions: [service],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
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
    const maintenanceAlarm = (metric: string) =>
      alarms().find(
        (a) =>
          a.Properties.MetricName === metric && a.Properties.Dimensions[0].Value.Ref?.startsWith('LifecycleFunction'),
      );
    expect(maintenanceAlarm('Errors')?.Properties.Threshold).toBe(1);
    // Continuations are throttled by design (they wait for the one reserved slot): no alarm on that.
    expect(maintenanceAlarm('Throttles')).toBeUndefined();
  });

  it('watch every function but the migrations (a failed migration fails the deploy) for errors and throttles, on the dashboard too', () => {
    const dashboard = JSON.stringify(only(template.findResources('AWS::CloudWatch::Dashboard')));
    const watched = [...functions].filter(([service]) => service !== 'migrate');
    expect(watched.map(([service]) => service)).toContain('query-api');
    // Their throttles are events waiting for the one reserved slot: maintenance's continuations (see lifecycle above),
    // and the sealer's next round while a round runs into the next minute.
    const throttledByDesign = ['maintenance', 'sealer'];
    for (const [service, fn] of watched) {
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }];
      for (const metric of throttledByDesign.includes(service) ? ['Errors'] : ['Errors', 'Throttles']) {
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

  it('and the dashboard shows events by severity and by type, the queue, the writer, the database and the log', () => {
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
      'log verification failures',
      'Sealer duration',
      'Events sealed per minute',
      'Seal lag (s)',
      'Latest checkpoint number',
    ]) {
      expect(dashboard).toContain(text);
    }
  });
});

describe('the metrics contract (shared/core/contracts/metrics.ts)', () => {
  /** [namespace, metric name, dimensions] of every metric the alarms watch and the dashboard charts or searches. */
  const readMetrics = () => {
    const read: { from: string; namespace: string; name: string; dimensions: Record<string, unknown> }[] = [];
    for (const [id, alarm] of Object.entries(template.findResources('AWS::CloudWatch::Alarm')) as [
      string,
      Resource,
    ][]) {
      const { Namespace: namespace, MetricName: name, Dimensions = [] } = alarm.Properties;
      const dimensions = Object.fromEntries(
        Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, d.Value] as const),
      );
      read.push({ from: `alarm ${id}`, namespace, name, dimensions });
    }
    const body = JSON.parse(
      resolveJoin(only(template.findResources('AWS::CloudWatch::Dashboard')).Properties.DashboardBody),
    );
    for (const widget of body.widgets) {
      for (const line of widget.properties.metrics ?? []) {
        const [first] = line;
        if (typeof first === 'object') {
          // A math expression: SEARCH('{namespace,dimension…} MetricName="name"', …)
          const search = /SEARCH\('\{([^,}]+),?([^}]*)\} MetricName="([^"]+)"/.exec(first.expression);
          if (!search) throw new Error(`unread dashboard expression ${first.expression}`);
          const dimensions = Object.fromEntries(
            search[2]!
              .split(',')
              .filter(Boolean)
              .map((d) => [d, '*']),
          );
          read.push({
            from: `dashboard ${widget.properties.title}`,
            namespace: search[1]!,
            name: search[3]!,
            dimensions,
          });
          continue;
        }
        const [namespace, name, ...rest] = line.filter((part: unknown) => typeof part === 'string');
        const dimensions: Record<string, unknown> = {};
        for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i]] = rest[i + 1];
        read.push({ from: `dashboard ${widget.properties.title}`, namespace, name, dimensions });
      }
    }
    return read;
  };

  it('every function emits in the one namespace', () => {
    for (const [service, fn] of functions)
      expect(fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE, service).toBe(METRICS_NAMESPACE);
  });

  it('infra reads only metrics the functions emit, on the dimensions they emit them with', () => {
    const ours = readMetrics().filter((metric) => metric.namespace === METRICS_NAMESPACE);
    // The CRITICAL alarm, the two event graphs, the maintenance alarms and the archive row, the sealer's alarms and row.
    expect(ours.length).toBeGreaterThanOrEqual(16);
    const maintenance = [...Object.values(MAINTENANCE_METRICS), ...Object.values(VERIFICATION_METRICS)] as string[];
    const sealer = Object.values(SEALER_METRICS) as string[];
    for (const { from, name, dimensions } of ours) {
      expect(EMITTED_METRICS, from).toContain(name);
      const event = Object.values(EVENT_METRICS).find((metric) => metric.name === name);
      if (event) expect(Object.keys(dimensions), from).toEqual([event.dimension]);
      if (maintenance.includes(name)) expect(dimensions, from).toEqual({ service: MAINTENANCE_SERVICE });
      if (sealer.includes(name)) expect(dimensions, from).toEqual({ service: SEALER_SERVICE });
    }
    for (const name of [...sealer, ...Object.values(VERIFICATION_METRICS)])
      expect(
        ours.some((metric) => metric.name === name),
        name,
      ).toBe(true);
    expect(functions.get(SEALER_SERVICE)!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe(
      SEALER_SERVICE,
    );
    expect(functions.get(MAINTENANCE_SERVICE)!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe(
      MAINTENANCE_SERVICE,
    );
    // No metric of another namespace is named like ours: a namespace typo would read nothing.
    for (const { from, namespace, name } of readMetrics())
      if (EMITTED_METRICS.includes(name as never)) expect(namespace, from).toBe(METRICS_NAMESPACE);
  });

  it('the runtime emits only names of the contract', () => {
    const emitted: string[] = [];
    const fake = {
      addMetric: (name: string) => emitted.push(name),
      singleMetric: () => ({
        clearDefaultDimensions() {},
        addDimension() {},
        addMetric: (name: string) => emitted.push(name),
      }),
    } as unknown as Metrics;
    // With a Security Lake configured, so its two metrics are emitted too.
    const lake = { destination: 's3://lake/', derived: [], failed: [], waiting: 0 };
    recordMaintenanceMetrics(fake, {
      created: [],
      archived: [],
      status: 'ok',
      securityLake: lake,
    } as unknown as MaintenanceResult);
    recordContinuationMetrics(fake, { action: 'none' });
    emitEventMetrics(fake, [{ severity: 'INFO', type: 'robot.online' } as StoredEvent]);
    expect(new Set(emitted)).toEqual(
      new Set([...Object.values(MAINTENANCE_METRICS), ...Object.values(EVENT_METRICS).map((metric) => metric.name)]),
    );
  });

  it('redrives after MAX_RECEIVE_COUNT receives and hands the writer WRITER_BATCH_SIZE messages, as the local stack does', () => {
    expect(eventQueue().Properties.RedrivePolicy.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    const mapping = only(template.findResources('AWS::Lambda::EventSourceMapping')) as Resource;
    expect(mapping.Properties.BatchSize).toBe(WRITER_BATCH_SIZE);
  });
});
