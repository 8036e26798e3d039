import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type pg from 'pg';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { readSinkSecret } from '../adapters/secrets-manager/sink-secrets.ts';
import type { SinkClient } from '../core/ports/streams.ts';
import type { SinkSpec } from '../core/streams/sinks.ts';
import { loadConfig } from './runtime/config.ts';
import { logger, metrics, traced } from './runtime/observability.ts';
import { onceSucceeded } from './runtime/once.ts';
import { type SinkSecrets, sinkClient } from './streams/clients.ts';
import { forwarderConfigShape } from './streams/config.ts';
import { describeForwarding, type ForwardingResult, forwardAll, recordSinkMetrics } from './streams/forward-all.ts';

/** A round stops starting requests this long before Lambda's deadline: time for one slow request and the metrics. */
const SAFETY_MARGIN_MS = 20_000;

export interface ForwarderWiring {
  pool: pg.Pool;
  sinks: readonly SinkSpec[];
  secrets: SinkSecrets;
  serviceName: string;
}

/** Each sink's transport, made on first use and kept once made (a secret that could not be read is tried again). */
export function composeSinkClients(wiring: Omit<ForwarderWiring, 'pool'>): (sink: SinkSpec) => Promise<SinkClient> {
  const made = new Map(
    wiring.sinks.map((sink) => [sink.name, onceSucceeded(() => sinkClient(sink, wiring.secrets, wiring.serviceName))]),
  );
  return (sink) => made.get(sink.name)!();
}

/**
 * EventBridge, every minute → one round for every sink (shared/core/streams/forward.ts), reserved concurrency 1
 * beside each sink's advisory lock. Metrics every round; a sink that failed fails nothing: its lag alarms.
 */
export function createForwarderHandler(wiring: ForwarderWiring, config: { batchSize: number }) {
  const client = composeSinkClients(wiring);
  return async (_event: unknown, context: Context): Promise<ForwardingResult> => {
    const result = await forwardAll(
      { pool: wiring.pool, sinks: wiring.sinks, client },
      {
        batchSize: config.batchSize,
        maxRoundMs: Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS),
      },
    );
    recordSinkMetrics(metrics, result);
    for (const line of describeForwarding(result)) logger.info(line);
    return result;
  };
}

/** The Lambda wiring, from the function's environment (functions/forwarder/handler.ts). */
export function forwarderFromEnvironment() {
  const config = loadConfig(forwarderConfigShape);
  // Its own user, audit_forwarder: reads the log and the events, moves its cursors (migration 014).
  const pool = createPool({ ...databaseOptionsFromEnv(), max: config.SINKS.length + 1 });
  const secretsManager = traced(new SecretsManagerClient({}));
  const secrets: SinkSecrets = async (sink) => {
    const arn = config.SINK_SECRET_ARNS[sink.name];
    if (!arn) throw new Error(`no secret for sink ${sink.name} in SINK_SECRET_ARNS`);
    return readSinkSecret(secretsManager, sink.name, arn);
  };
  return createForwarderHandler(
    { pool, sinks: config.SINKS, secrets, serviceName: config.LOG_ID },
    { batchSize: config.SINK_BATCH_SIZE },
  );
}
