import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import mqtt from 'mqtt';
import { LocalArchiveJobs } from '../../adapters/duckdb/archive-jobs.ts';
import { MqttAlertPublisher } from '../../adapters/mqtt/mqtt-alert-publisher.ts';
import { loginUrl, setLoginPasswords } from '../../adapters/postgres/login-users.ts';
import { migrate } from '../../adapters/postgres/migrate.ts';
import { createPool } from '../../adapters/postgres/pool.ts';
import { QUERY_ROUTES } from '../../core/access/policy.ts';
import { LOGIN_USERS, type LoginUser } from '../../core/contracts/database-users.ts';
import type { IotRuleEvent } from '../../core/ingest/iot-message.ts';
import { SECRET_SINK_KINDS } from '../../core/streams/sinks.ts';
import type { SealResult } from '../../core/tamper/seal.ts';
import { oneReadArchiveQueryEngine } from '../archive/engine.ts';
import { composeIngestHttp } from '../ingest-http.ts';
import { composeIngestIot } from '../ingest-iot.ts';
import { listPartitionMonths, readSinkLag } from '../operations.ts';
import { composeQueryApi } from '../query-api.ts';
import { catalogFromEnv } from '../runtime/config.ts';
import { type Handler, withObservability } from '../runtime/lambda.ts';
import { composeWriter } from '../writer.ts';
import { type LocalConfig, loadLocalConfig } from './config.ts';
import { localCursorSecret } from './cursor-secret.ts';
import { DEFAULT_DEV_DEVICE, parseLocalDevices } from './devices.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { startLocalForwarder } from './forwarder.ts';
import { type ApiHandler, startLocalApi } from './http-server.ts';
import { startLocalInteractionLog } from './interactions.ts';
import { localContext } from './lambda-context.ts';
import { restoreLegacySpools } from './legacy-spool.ts';
import { localLoginPasswords } from './login-passwords.ts';
import { localArchiveConfig, startLocalMaintenance } from './maintenance.ts';
import { type EmbeddedBroker, startEmbeddedBroker, startIotRuleOnBroker, startIotRuleSubscriber } from './mqtt.ts';
import { acquireStartLock, assertPortsFree } from './preflight.ts';
import { startLocalSealer } from './sealer-process.ts';
import { localSinkSecrets } from './sink-secrets.ts';
import { startLocalQueues } from './sqs.ts';
import { SqsEventSource } from './sqs-event-source.ts';
import { withoutCredentials, writeOwnerUrl, writeStackInfo } from './stack-info.ts';
import { LocalTelemetry, queueFigures, type TelemetrySources } from './telemetry.ts';
import { parseLocalTokens } from './tokens.ts';

export interface LocalStack {
  httpUrl: string;
  mqttUrl: string;
  databaseUrl: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Waits until every queued event has been written (or `timeoutMs` passes). */
  drain(timeoutMs?: number): Promise<boolean>;
  /** A sealing round now (after the one running): what is written by then is sealed when it resolves. */
  sealNow(): Promise<SealResult>;
  /** The public key that verifies the log's checkpoints (DATA_DIR/log-signing-key.pub.pem). */
  publicKeyPath: string;
  stop(): Promise<void>;
}

export type StackLog = (message: string) => void;

/** The web UI's files, served at `/`. */
const WEB_DIR = resolve(import.meta.dirname, '..', '..', '..', 'web');

/** Runs a handler the way Lambda would: through the shared middleware stack, with a Lambda context. */
function asLambda<E, R>(name: string, handler: Handler<E, R>): (event: E) => Promise<R> {
  const wrapped = withObservability(handler);
  return (event) => wrapped(event, localContext(name));
}

/**
 * The whole system on one machine: PostgreSQL, the SQS FIFO queue and its event source, the MQTT broker and the IoT
 * rule, the HTTP API. Handlers are the Lambda handlers, unchanged; this only plays API Gateway, IoT and SQS.
 */
export async function startLocalStack(
  config: LocalConfig = loadLocalConfig(),
  log: StackLog = console.log,
): Promise<LocalStack> {
  const cleanups: Cleanups = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error) => log(`shutdown step failed: ${String(error)}`));
    cleanups.length = 0;
  };
  try {
    const tokens = parseLocalTokens(config.LOCAL_TOKENS);
    const dataDir = resolve(config.DATA_DIR);
    mkdirSync(dataDir, { recursive: true });
    const releaseLock = await acquireStartLock(dataDir);
    cleanups.push(releaseLock);
    await assertPortsFree(config);

    // The stack's metrics and operations figures; its sources are filled in as the parts they read start.
    const sources: TelemetrySources = {
      readQueues: () => Promise.reject(new Error('the queues are not started yet')),
      listPartitions: () => Promise.reject(new Error('the database is not started yet')),
    };
    const telemetry = new LocalTelemetry(sources);
    cleanups.push(async () => telemetry.stop());

    const { databaseUrl, writerPool, readerPool, sealerUrl, forwarderUrl } = await startDatabase(
      config,
      dataDir,
      log,
      cleanups,
      telemetry,
    );
    sources.listPartitions = () => listPartitionMonths(readerPool);
    if (config.SINKS.length > 0) {
      const names = config.SINKS.map((sink) => sink.name);
      sources.readSinks = () => readSinkLag(readerPool, names);
    }
    // Stopped after the writer has drained the queue (cleanups run in reverse): its last round seals all of it.
    const sealer = await startLocalSealer({
      connectionString: sealerUrl,
      dataDir,
      logId: config.LOG_ID,
      maxEvents: config.SEAL_MAX_EVENTS,
      intervalMs: config.SEAL_INTERVAL_MS,
      log,
      onRound: (result) => telemetry.sealed(result),
    });
    cleanups.push(() => sealer.stop());
    // Stopped before the sealer's last round (cleanups run in reverse): what it seals then goes out at the next start.
    if (config.SINKS.length > 0) {
      // Every sink's secret now: a Splunk sink without its token stops the start, naming where to put it.
      const secrets = localSinkSecrets(dataDir);
      for (const sink of config.SINKS) if (SECRET_SINK_KINDS.includes(sink.kind)) await secrets(sink);
      const forwarderPool = createPool({
        connectionString: forwarderUrl,
        max: config.SINKS.length + 1,
        application_name: 'forwarder',
      });
      const forwarder = startLocalForwarder({
        pool: forwarderPool,
        sinks: config.SINKS,
        secrets,
        serviceName: config.LOG_ID,
        batchSize: config.SINK_BATCH_SIZE,
        intervalMs: config.SINK_INTERVAL_MS,
        log,
      });
      cleanups.push(async () => {
        await forwarder.stop();
        await forwarderPool.end();
      });
    }
    const queues = await startQueues(config, dataDir, log, cleanups);
    sources.readQueues = () => queueFigures(queues);
    const catalog = catalogFromEnv();
    const { mqttUrl, broker, alertClient } = await startMqtt(config, log, cleanups);

    // Each function is composed as its Lambda wiring composes it (shared/apps/*.ts), with the local clients.
    const writer = asLambda<SQSEvent, Awaited<ReturnType<ReturnType<typeof composeWriter>>>>(
      'writer',
      composeWriter({
        pool: writerPool,
        sqs: queues.client,
        deadLetterQueueUrl: queues.deadLetterQueueUrl,
        alerts: new MqttAlertPublisher(alertClient),
      }),
    );
    const eventSource = new SqsEventSource({
      client: queues.client,
      queueUrl: queues.queueUrl,
      handler: telemetry.timeWriter(writer),
      onError: (error) => log(`writer invocation failed: ${String(error)}`),
    });
    eventSource.start();
    // On stop: let the writer finish what is queued; what it cannot finish stays in the journal for the next start.
    cleanups.push(async () => {
      const drained = await eventSource.drain(10_000);
      await eventSource.stop();
      if (!drained)
        log(
          `the writer did not finish the queue; ${await eventSource.depth()} messages wait in ${dataDir}/queue for the next start`,
        );
    });

    const ingestWiring = { sqs: queues.client, queueUrl: queues.queueUrl, catalog };
    const ingestIot = asLambda('ingest-iot', composeIngestIot(ingestWiring));
    // The handler's refusals are logged here, as CloudWatch would show them on AWS.
    const invokeIngestIot = async (event: IotRuleEvent) => {
      const result = await ingestIot(event);
      if (!('rejected' in result)) return undefined;
      const issues = result.issues.map((issue) => `[${issue.index}] ${issue.path}: ${issue.message}`);
      return [result.rejected, ...issues].join('; ');
    };
    const onRejected = (topic: string, reason: string) => log(`MQTT message on ${topic} rejected: ${reason}`);
    // The embedded broker knows who published (clientid()); on an external broker the rule can only subscribe.
    const rule = broker
      ? startIotRuleOnBroker(broker, invokeIngestIot, onRejected)
      : await startIotRuleSubscriber(mqttUrl, invokeIngestIot, onRejected);
    cleanups.push(() => rule.stop());

    const cursorSecret = await localCursorSecret(dataDir);
    const queryApi = asLambda(
      'query-api',
      composeQueryApi({
        ...ingestWiring,
        pool: readerPool,
        streamExports: true,
        cursorSecret,
        // The proofs of archived events read the archive maintenance writes; Retry-After is the sealer's cadence.
        archive: () => oneReadArchiveQueryEngine(localArchiveConfig(dataDir)),
        // Histories and queries continue into the same archive, through DuckDB.
        archiveJobs: new LocalArchiveJobs(() => oneReadArchiveQueryEngine(localArchiveConfig(dataDir))),
        sealRetryAfterSeconds: Math.ceil(config.SEAL_INTERVAL_MS / 1000),
        operations: () => telemetry.status(),
      }),
    );
    const routes: Record<string, ApiHandler> = {
      'POST /events': asLambda('ingest-http', composeIngestHttp(ingestWiring)),
      ...Object.fromEntries(QUERY_ROUTES.map((route) => [route, queryApi])),
    };
    // Every API request leaves an audit.api.request record; on stop, after the API, before the queue.
    const interactions = startLocalInteractionLog(ingestWiring, log);
    cleanups.push(() => interactions.stop());
    const api = await startLocalApi({
      port: config.PORT,
      tokens,
      routes,
      staticDir: WEB_DIR,
      onInteraction: interactions.record,
      metrics: () => telemetry.prometheus.expose(),
    });
    cleanups.push(() => api.stop());
    log(
      `HTTP API ${api.url}: POST /events, GET /events and the query API (docs/query-api.md); web UI ${api.url}/; ` +
        `Prometheus ${api.url}/metrics`,
    );
    if (!config.LOCAL_TOKENS)
      log('auth: Authorization: Bearer dev-admin-token (user dev, admin); set LOCAL_TOKENS to change it');

    // Last, so it is removed first on stop: `trail dlq` finds the running stack by it (stack-info.ts).
    const { endpoint: sqsEndpoint, queueUrl, deadLetterQueueUrl } = queues;
    const info = {
      pid: process.pid,
      httpUrl: api.url,
      mqttUrl,
      sqsEndpoint,
      queueUrl,
      deadLetterQueueUrl,
      databaseUrl: withoutCredentials(databaseUrl),
      archiveUrl: localArchiveConfig(dataDir).ARCHIVE_URL,
    };
    cleanups.push(await writeOwnerUrl(dataDir, databaseUrl));
    cleanups.push(await writeStackInfo(dataDir, info));

    return {
      httpUrl: api.url,
      mqttUrl,
      databaseUrl,
      queueUrl: queues.queueUrl,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      drain: (timeoutMs = 10_000) => eventSource.drain(timeoutMs),
      sealNow: () => sealer.sealNow(),
      publicKeyPath: sealer.publicKeyPath,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

type Cleanups = (() => Promise<unknown>)[];

/** PostgreSQL (embedded unless DATABASE_URL), migrated by the owner, the writer's and reader's own pools, and the sealer's login. */
async function startDatabase(
  config: LocalConfig,
  dataDir: string,
  log: StackLog,
  cleanups: Cleanups,
  telemetry: LocalTelemetry,
) {
  let databaseUrl: string | undefined = config.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({
      dataDir: join(dataDir, 'pg'),
      ...(config.PG_PORT && { port: config.PG_PORT }),
    });
    cleanups.push(() => pg.stop());
    databaseUrl = pg.url;
    log(`PostgreSQL (embedded) ${redact(databaseUrl)}, data in ${join(dataDir, 'pg')}`);
  } else log(`PostgreSQL ${redact(databaseUrl)}`);

  // The owner migrates and maintains; the writer and the query API log in as their own users, as on AWS.
  const passwords = await localLoginPasswords(dataDir, {
    writer: config.DB_WRITER_PASSWORD,
    reader: config.DB_READER_PASSWORD,
    sealer: config.DB_SEALER_PASSWORD,
    forwarder: config.DB_FORWARDER_PASSWORD,
  });
  const ownerPool = createPool({ connectionString: databaseUrl, max: 1 });
  try {
    const { applied } = await migrate(ownerPool);
    log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');
    await setLoginPasswords(ownerPool, passwords);
  } finally {
    await ownerPool.end();
  }
  const maintenance = startLocalMaintenance({
    databaseUrl,
    dataDir,
    log,
    onRun: (at, result, next) => telemetry.maintained(at, result, next),
    onVerified: (report) => telemetry.verified(report),
  });
  cleanups.push(() => maintenance.stop());

  const loginAs = (user: LoginUser) => loginUrl(databaseUrl, user, passwords[user]);
  const writerPool = createPool({ connectionString: loginAs(LOGIN_USERS.writer), max: 4 });
  const readerPool = createPool({ connectionString: loginAs(LOGIN_USERS.reader), max: 4 });
  cleanups.push(
    () => writerPool.end(),
    () => readerPool.end(),
  );

  // The sealer's pool is its worker thread's own (sealer-process.ts).
  return {
    databaseUrl,
    writerPool,
    readerPool,
    sealerUrl: loginAs(LOGIN_USERS.sealer),
    forwarderUrl: loginAs(LOGIN_USERS.forwarder),
  };
}

/** The SQS endpoint (FIFO queue and DLQ), journaled in DATA_DIR/queue, with what an earlier run left put back on it. */
async function startQueues(config: LocalConfig, dataDir: string, log: StackLog, cleanups: Cleanups) {
  const queues = await startLocalQueues({
    dataDir,
    maxBacklogMb: config.LOCAL_QUEUE_MAX_MB,
    onUnexpectedExit: (error) =>
      log(`${error.message}: events are refused (503) until the stack is restarted; nothing accepted is lost`),
  });
  cleanups.push(() => queues.stop());
  const legacy = await restoreLegacySpools(dataDir, queues);
  if (legacy > 0)
    log(
      `put ${legacy} messages an earlier version saved at shutdown (queue-spool.ndjson, dead-letters.ndjson) back on the queues`,
    );
  const replayed = queues.replayed ? `; ${queues.replayed} messages an earlier run accepted were put back on it` : '';
  log(`SQS endpoint ${queues.endpoint} (FIFO queue + DLQ, journaled in ${join(dataDir, 'queue')})${replayed}`);
  return queues;
}

/**
 * The MQTT broker (embedded unless MQTT_URL) and the client alerts go out on. The embedded broker authenticates every
 * client: devices from LOCAL_DEVICES, the stack's own clients with credentials it generates.
 */
async function startMqtt(config: LocalConfig, log: StackLog, cleanups: Cleanups) {
  let mqttUrl = config.MQTT_URL;
  let broker: EmbeddedBroker | undefined;
  if (!mqttUrl) {
    const devices = parseLocalDevices(config.LOCAL_DEVICES);
    const embedded = await startEmbeddedBroker(config.MQTT_PORT, { devices, log });
    cleanups.push(() => embedded.stop());
    broker = embedded;
    mqttUrl = embedded.url;
    log(
      `MQTT broker (embedded, MQTT 3.1.1) ${mqttUrl}: ${devices.size} device(s) of LOCAL_DEVICES, each publishing on audit/<thing>/events`,
    );
    if (!config.LOCAL_DEVICES) {
      const { thing, secret } = DEFAULT_DEV_DEVICE;
      log(
        `MQTT auth: device ${thing} connects with client id and username ${thing}, password ${secret}; set LOCAL_DEVICES to change it`,
      );
    }
  } else log(`MQTT broker ${mqttUrl}`);
  // Alerts go out on the local broker, as IoT Core's data plane does on AWS; on MQTT_URL with its URL's credentials.
  const alertClient = await mqtt.connectAsync(mqttUrl, {
    ...(broker ? broker.serviceCredential('alerts') : { clientId: `trail-alerts-${process.pid}` }),
    protocolVersion: 4,
  });
  cleanups.push(() => alertClient.endAsync());

  return { mqttUrl, broker, alertClient };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
