import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type pg from 'pg';
import { PgEventStore } from '../../adapters/postgres/pg-event-store.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import { createSqsClient } from '../../adapters/sqs/client.ts';
import { SqsEventQueue } from '../../adapters/sqs/sqs-queue.ts';
import type { Access, AccessAuditor } from '../../core/ports/query.ts';
import { EventAccessAuditor, QueueAccessAuditor, recordOrRefuse } from '../../core/query/access-auditor.ts';
import { localSqsClient, readStackInfo } from '../local/stack-info.ts';
import { catalogFromEnv } from '../runtime/config.ts';

/** How a CLI read is told apart from the API's in its record (`source.clientId`). */
export const CLI_CLIENT_ID = 'trail-cli';

export interface CliAudit {
  auditor: AccessAuditor;
  /** Where the records go, for the refusal message. */
  where: string;
  close(): Promise<void>;
}

/**
 * Where `trail history` and `trail archive …` record who ran what, first that applies: `QUEUE_URL` (the deployed
 * queue, as the query API does), the running local stack's queue (DATA_DIR/stack.json), else an insert into
 * `DATABASE_URL` (the events table, as the writer would store it: the user must be allowed to insert). With none,
 * the command refuses: a read is recorded before its results are printed, or it is not run.
 */
export async function cliAccessAuditor(env: NodeJS.ProcessEnv = process.env, pool?: pg.Pool): Promise<CliAudit> {
  const catalog = catalogFromEnv(env);
  if (env.QUEUE_URL) {
    const sqs = createSqsClient({});
    return {
      auditor: new QueueAccessAuditor(new SqsEventQueue(sqs, env.QUEUE_URL), catalog),
      where: `the queue ${env.QUEUE_URL}`,
      close: async () => sqs.destroy(),
    };
  }
  const info = await readStackInfo(resolve(env.DATA_DIR ?? '.data')).catch(() => undefined);
  if (info) {
    const sqs = localSqsClient(info);
    return {
      auditor: new QueueAccessAuditor(new SqsEventQueue(sqs, info.queueUrl), catalog),
      where: `the local stack's queue (pid ${info.pid})`,
      close: async () => sqs.destroy(),
    };
  }
  if (!pool && !env.DATABASE_URL && !env.DB_HOST)
    throw new Error(
      'cannot record who ran this read, so it is not run: set QUEUE_URL, start the local stack (npm start), or set DATABASE_URL',
    );
  const db = pool ?? createPool({ ...databaseOptionsFromEnv(env), max: 1 });
  const store = new PgEventStore(db);
  return {
    auditor: new EventAccessAuditor(async (events) => void (await store.insert(events)), catalog),
    where: 'the events table (DATABASE_URL)',
    close: async () => {
      if (!pool) await db.end();
    },
  };
}

/** Who runs the command: the operating-system user (the CLI has no token; DATABASE_URL's user is shared). */
export function cliPrincipal() {
  return { user: userInfo().username, roles: [] };
}

/**
 * Runs a CLI read between its two records: `audit.accessed` (route, filters, who) before it runs, and its outcome
 * (complete with the rows, or failed with why) after; both are written before the caller prints anything. A record
 * that cannot be written refuses the read (AccessNotRecordedError).
 */
export async function auditedRead<T>(
  audit: AccessAuditor,
  access: Pick<Access, 'route' | 'filters'>,
  read: () => Promise<T>,
  rowsOf: (result: T) => number,
): Promise<T> {
  const full: Access = { ...access, principal: cliPrincipal(), clientId: CLI_CLIENT_ID };
  const accessId = await recordOrRefuse(() => audit.record(full));
  let result: T;
  try {
    result = await read();
  } catch (error) {
    // The read's own error is the one to report; its opening record already names it.
    await audit
      .recordOutcome(full, { accessId, outcome: 'failed', rows: 0, reason: (error as Error).message })
      .catch(() => {});
    throw error;
  }
  await recordOrRefuse(() => audit.recordOutcome(full, { accessId, outcome: 'complete', rows: rowsOf(result) }));
  return result;
}
