import pg from 'pg';
import { type Month, parsePartitionName, partitionName } from '../../../core/domain/month.ts';
import type { Queryable } from '../partitions.ts';
import { type LockRetryOptions, withLockRetry } from './lock-retry.ts';

export interface PartitionInfo {
  month: Month;
  name: string;
  /** Attached to events (possibly with a DETACH … CONCURRENTLY still pending). */
  attached: boolean;
  /** An interrupted DETACH … CONCURRENTLY: only `… FINALIZE` completes it. */
  detachPending: boolean;
}

/** Every month table, attached or left detached by an interrupted archival. */
export async function listMonthTables(db: Queryable): Promise<PartitionInfo[]> {
  const { rows } = await db.query<{ name: string; attached: boolean; detach_pending: boolean }>(
    `SELECT c.relname AS name, i.inhrelid IS NOT NULL AS attached, coalesce(i.inhdetachpending, false) AS detach_pending
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'public.events'::regclass
      WHERE c.relkind = 'r' AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
      ORDER BY c.relname`,
  );
  return rows.flatMap((row) => {
    const month = parsePartitionName(row.name);
    return month ? [{ month, name: row.name, attached: row.attached, detachPending: row.detach_pending }] : [];
  });
}

const qualified = (month: Month) => `public.${pg.escapeIdentifier(partitionName(month))}`;

/** Refuses new rows for the month while it is archived (migration 004 explains why, and why writers just retry). */
export async function freezePartition(client: pg.ClientBase, month: Month, retry: LockRetryOptions): Promise<void> {
  await withLockRetry(client, retry, () =>
    client.query(
      `CREATE OR REPLACE TRIGGER events_archiving BEFORE INSERT ON ${qualified(month)}
         FOR EACH ROW EXECUTE FUNCTION public.audit_refuse_while_archiving()`,
    ),
  );
}

/**
 * Detaches without blocking writers: CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE on events. It cannot run in a
 * transaction block (the client must be in autocommit). A detach interrupted earlier is completed with FINALIZE.
 */
export async function detachPartition(client: pg.ClientBase, month: Month, retry: LockRetryOptions): Promise<void> {
  await withLockRetry(client, retry, async () => {
    const table = (await listMonthTables(client)).find((info) => info.name === partitionName(month));
    if (!table?.attached) return;
    const mode = table.detachPending ? 'FINALIZE' : 'CONCURRENTLY';
    await client.query(`ALTER TABLE public.events DETACH PARTITION ${qualified(month)} ${mode}`);
  });
}

/** Drops a detached month table; refuses an attached one (dropping it would lock events ACCESS EXCLUSIVE). */
export async function dropDetachedPartition(client: pg.ClientBase, month: Month, retry: LockRetryOptions) {
  const table = (await listMonthTables(client)).find((info) => info.name === partitionName(month));
  if (!table) return;
  if (table.attached) throw new Error(`${table.name} is still attached to events: detach it before dropping`);
  await withLockRetry(client, retry, () => client.query(`DROP TABLE IF EXISTS ${qualified(month)}`));
}
