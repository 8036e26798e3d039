import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config.ts';
import { Alarms } from '../constructs/alarms.ts';
import { AlertTopic } from '../constructs/alert-topic.ts';
import { EventQueue } from '../constructs/event-queue.ts';
import { EventsApi } from '../constructs/events-api.ts';
import { HttpIngest } from '../constructs/http-ingest.ts';
import { Identity } from '../constructs/identity.ts';
import { InteractionLog } from '../constructs/interaction-log.ts';
import { IotIngest } from '../constructs/iot-ingest.ts';
import { Lifecycle } from '../constructs/lifecycle.ts';
import { LogSealer } from '../constructs/log-sealer.ts';
import { Migrations } from '../constructs/migrations.ts';
import { OperationsDashboard } from '../constructs/operations-dashboard.ts';
import { QueryApi } from '../constructs/query-api.ts';
import { SinkForwarder } from '../constructs/sink-forwarder.ts';
import { WebUi } from '../constructs/web-ui.ts';
import { Writer } from '../constructs/writer.ts';
import type { StatefulStack } from './stateful-stack.ts';

/**
 * The code path: ingest (HTTP and MQTT) → FIFO queue → writer → database, the sealer of the tamper-evident log, plus
 * migrations, lifecycle, alarms and dashboard.
 */
export class StatelessStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { config: DeployConfig; stateful: StatefulStack }) {
    super(scope, id, props);
    const { config, stateful } = props;
    const { database } = stateful;

    const queue = new EventQueue(this, 'Queue', { consumerTimeout: Writer.TIMEOUT });
    const alerts = new AlertTopic(this, 'CriticalAlerts', { iotDataEndpoint: stateful.iotData.endpointAddress });

    const identity = new Identity(this, 'Identity', {
      jwt:
        config.jwtIssuer && config.jwtAudience ? { issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
    });
    const webUi = new WebUi(this, 'WebUi');
    const api = new EventsApi(this, 'Api', {
      envName: config.envName,
      authorizer: identity.authorizer,
      corsOrigins: [webUi.url],
    });
    webUi.publish({ apiUrl: api.api.apiEndpoint });
    const httpIngest = new HttpIngest(this, 'HttpIngest', { api, queue });
    const interactionLog = new InteractionLog(this, 'InteractionLog', { api, queue });
    const iotIngest = new IotIngest(this, 'IotIngest', { queue, alerts });
    const queryApi = new QueryApi(this, 'QueryApi', {
      api,
      queue,
      database,
      cursorSecret: stateful.cursorSecret.secret,
      archiveQuery: stateful.archiveQuery,
    });

    const migrations = new Migrations(this, 'Migrations', { database });
    const writer = new Writer(this, 'Writer', { queue, database, alerts });
    migrations.runBefore(writer);
    const lifecycle = new Lifecycle(this, 'Lifecycle', {
      ...{ database, migrations, archive: stateful.archive, archiveQuery: stateful.archiveQuery },
      ...{ retentionMonths: config.retentionMonths, premakeMonths: config.premakeMonths },
    });
    const { archive, signingKey } = stateful;
    queryApi.addOperations({ writer, lifecycle });
    const sealer = new LogSealer(this, 'Sealer', {
      envName: config.envName,
      database,
      migrations,
      archive,
      signingKey,
    });
    // The public key: for the query API's proofs, and maintenance's scheduled verification, which also reads the
    // archived log (checkpoints and leaf hashes under log/).
    signingKey.grantPublicKey(queryApi.fn);
    signingKey.grantPublicKey(lifecycle.fn);
    archive.grantLogReader(lifecycle.fn);

    const alarms = new Alarms(this, 'Alarms', { envName: config.envName, alarmEmail: config.alarmEmail });
    alarms.addCriticalEvents(writer);
    alarms.addQueue(queue);
    alarms.addDeadLetters(
      'IotIngestFailedInvocations',
      'Device messages are in the IoT ingest on-failure queue: the ingest function gave up on them (see docs/deploy.md to replay)',
      iotIngest.failedInvocations,
    );
    alarms.addFunction('Writer', writer.fn);
    alarms.addFunction('HttpIngest', httpIngest.fn);
    alarms.addFunction('InteractionLog', interactionLog.fn);
    alarms.addFunction('IotIngest', iotIngest.fn);
    alarms.addFunction('QueryApi', queryApi.fn);
    alarms.addFunction('Maintenance', lifecycle.fn, {
      // A paused run invokes itself while it still holds the one reserved slot: Lambda throttles that event and
      // retries it (up to 6 hours) once the slot is free. Failures and stopped chains have their own alarms.
      throttlesExpectedBecause: 'continuations wait for the reserved slot',
    });
    alarms.addMaintenance(lifecycle);
    alarms.addFunction('Sealer', sealer.fn, {
      throttlesExpectedBecause: 'a round running into the next minute holds the one slot; the next event waits',
    });
    alarms.addSealer(sealer);
    alarms.addLogVerification(lifecycle);
    // Streams to the sinks of the `sinks` context; without any, no forwarder.
    if (config.sinks.length > 0) {
      const forwarder = new SinkForwarder(this, 'Forwarder', {
        envName: config.envName,
        database,
        migrations,
        sinks: config.sinks,
      });
      alarms.addFunction('Forwarder', forwarder.fn, {
        throttlesExpectedBecause: 'a round running into the next minute holds the one slot; the next event waits',
      });
      alarms.addSinkLag(
        forwarder,
        config.sinks.map((sink) => sink.name),
      );
    }
    if (stateful.securityLake) {
      lifecycle.exportToSecurityLake(stateful.securityLake);
      alarms.addSecurityLakeExports(lifecycle);
    }

    const dashboard = new OperationsDashboard(this, 'Dashboard', { envName: config.envName });
    dashboard.addEventRates(writer);
    dashboard.addQueue(queue);
    dashboard.addFunction('Writer', writer.fn);
    dashboard.addFunction('HTTP ingest', httpIngest.fn);
    dashboard.addFunction('Interaction log', interactionLog.fn);
    dashboard.addFunction('IoT ingest', iotIngest.fn);
    dashboard.addFunction('Query API', queryApi.fn);
    dashboard.addDatabase(database);
    dashboard.addFunction('Maintenance', lifecycle.fn);
    dashboard.addArchiveRuns(lifecycle);
    dashboard.addFunction('Sealer', sealer.fn);
    dashboard.addSealing(sealer);

    // What operators need after a deploy: where to send events and browse them, which policy to attach to device certificates.
    new CfnOutput(this, 'ApiUrl', { value: api.api.apiEndpoint });
    new CfnOutput(this, 'WebUiUrl', { value: webUi.url });
    new CfnOutput(this, 'IotDataEndpoint', { value: stateful.iotData.endpointAddress });
    new CfnOutput(this, 'DevicePolicyName', { value: iotIngest.devicePolicy.ref });
    // What `trail dlq` takes on AWS: the events queue and its DLQ; device messages the ingest function gave up on
    // (Lambda on-failure records) and the function a redrive invokes again.
    new CfnOutput(this, 'EventQueueUrl', { value: queue.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: queue.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'IotFailedInvocationsQueueUrl', { value: iotIngest.failedInvocations.queueUrl });
    new CfnOutput(this, 'IotIngestFunctionName', { value: iotIngest.fn.functionName });
    if (identity.userPool && identity.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: identity.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: identity.userPoolClient.userPoolClientId });
    }
  }
}
