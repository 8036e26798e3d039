import { loginUrl } from '../../adapters/postgres/login-users.ts';
import { PgSinkStore } from '../../adapters/postgres/pg-sink-store.ts';
import { createPool, type DatabaseOptions, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import { type SinkStatus, sinkStatuses } from '../../adapters/postgres/sink-status.ts';
import { LOGIN_USERS } from '../../core/contracts/database-users.ts';
import { parseSinks } from '../../core/streams/sinks.ts';
import { savedLoginPassword } from '../local/login-passwords.ts';
import { readStackInfo } from '../local/stack-info.ts';

export interface StreamOptions {
  dataDir?: string | undefined;
  json?: boolean | undefined;
}

/** `trail stream status`: each sink's cursor, lag, dead letters and last error. Exit 1 when a sink is failing. */
export async function runStreamStatus(options: StreamOptions): Promise<number> {
  return withForwarderPool(options, async (pool) => {
    const configured = process.env.SINKS ? parseSinks(process.env.SINKS).map((sink) => sink.name) : undefined;
    const statuses = await sinkStatuses(pool, configured);
    if (options.json) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    else if (statuses.length === 0) process.stdout.write('no sinks: set SINKS (docs/sinks.md)\n');
    else for (const status of statuses) process.stdout.write(`${statusLine(status)}\n`);
    return statuses.some((status) => status.failures > 0) ? 1 : 0;
  });
}

/** `trail stream replay --sink <name> --from <seq|instant>`: the sink's cursor moves there; its next round resends. */
export async function runStreamReplay(options: StreamOptions & { sink: string; from: number | Date }): Promise<number> {
  return withForwarderPool(options, async (pool) => {
    const store = new PgSinkStore(pool);
    const seq = typeof options.from === 'number' ? options.from : await store.seqAt(options.from);
    const previous = await store.moveCursor(options.sink, seq);
    const was = previous === undefined ? 'a new cursor' : `it was at ${previous}`;
    process.stdout.write(`sink ${options.sink}: the next round delivers from seq ${seq} on (${was})\n`);
    return 0;
  });
}

function statusLine(s: SinkStatus): string {
  const state = s.failures > 0 ? `FAILING (${s.failures} attempts: ${s.lastError})` : 'ok';
  const delivered = s.lastDeliveredAt ? `, last delivery ${s.lastDeliveredAt.toISOString()}` : '';
  return (
    `${s.name}: ${state}; at seq ${s.cursorSeq} of ${s.headSeq}, ${s.lagEvents} behind ` +
    `(oldest ${s.oldestUndeliveredAgeSeconds.toFixed(0)} s); ${s.deadLettered} dead-lettered${delivered}`
  );
}

async function withForwarderPool(
  options: StreamOptions,
  work: (pool: ReturnType<typeof createPool>) => Promise<number>,
) {
  const pool = createPool({ ...(await forwarderDatabase(options.dataDir ?? process.env.DATA_DIR ?? '.data')), max: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/**
 * DATABASE_URL (or the DB_* variables) when set; else the running local stack's database as audit_forwarder, with
 * its password (DB_FORWARDER_PASSWORD, else DATA_DIR/db-login.json, read only).
 */
async function forwarderDatabase(dataDir: string): Promise<DatabaseOptions> {
  if (process.env.DATABASE_URL || process.env.DB_HOST) return databaseOptionsFromEnv();
  const info = await readStackInfo(dataDir);
  if (!info.databaseUrl)
    throw new Error('the running local stack does not say where its database is: set DATABASE_URL');
  const user = LOGIN_USERS.forwarder;
  const password = process.env.DB_FORWARDER_PASSWORD || (await savedLoginPassword(dataDir, user));
  if (!password) throw new Error(`no password for ${user} in ${dataDir}/db-login.json: set DB_FORWARDER_PASSWORD`);
  return { connectionString: loginUrl(info.databaseUrl, user, password) };
}
