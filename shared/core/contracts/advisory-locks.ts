/**
 * Every PostgreSQL advisory lock the trail takes, in the two-key form `pg_advisory_lock(classid, objid)`, and what it
 * guards. The classids spell "AUDT", "AUDU", "AUDV" (0x41554454 and up), so other applications sharing the database
 * are unlikely to collide with them; add a new lock here, with the next classid, before using it anywhere.
 */
export interface AdvisoryLock {
  readonly classid: number;
  readonly objid: number;
}

export const ADVISORY_LOCKS = {
  /**
   * Held by a migration run for its whole duration (shared/adapters/postgres/migrate.ts), so concurrent runs (deploys, test
   * files, `trail migrate`) take turns.
   */
  migrations: { classid: 1096107092, objid: 0 },
  /**
   * One creator per month partition: `audit_ensure_month_partition` takes it per transaction with objid = year × 12 +
   * month, so writers racing for a new month wait, then find it attached. Written in the SQL of migration
   * 003_month_partitions, which has shipped and may not change: test/contracts/advisory-locks.unit.test.ts checks
   * that SQL still names this classid.
   */
  monthPartition: { classid: 1096107093 },
  /**
   * Held by a maintenance run (shared/adapters/postgres/maintenance/maintenance-lock.ts: `pg_try_advisory_lock`); a second run that finds it
   * taken skips, a continuation that finds it taken throws so Lambda retries it.
   */
  maintenance: { classid: 1096107094, objid: 0 },
  /**
   * Held for a sealing round's transaction (shared/adapters/postgres/pg-log-store.ts: `pg_advisory_xact_lock`), so two
   * sealers never interleave their appends to the log: the second waits, then seals after the first.
   */
  seal: { classid: 1096107095, objid: 0 },
  /**
   * Held for a roll-up's transaction (`audit_roll_up_event_counts`, migration 013_event_counts, which names it in its
   * SQL), so two roll-ups (the sealer's and maintenance's) never upsert the same rollup rows in different orders.
   */
  rollUp: { classid: 1096107096, objid: 0 },
  /**
   * Held by a forwarder while it delivers to one sink (shared/adapters/postgres/pg-sink-store.ts: a session-level
   * `pg_try_advisory_lock` with objid = hashtext(sink)), so two forwarders never send one sink's events out of order; the
   * second skips that sink. Session-level, not a transaction or row lock: those would hold a transaction id open for
   * the whole delivery, and the sealer seals nothing past the oldest open transaction.
   */
  sinkForwarder: { classid: 1096107097 },
} as const;

/** The lock's keys as query parameters: `client.query('SELECT pg_advisory_lock($1, $2)', lockKeys(lock))`. */
export function lockKeys(lock: AdvisoryLock): [number, number] {
  return [lock.classid, lock.objid];
}
