import type pg from 'pg';
import { ADVISORY_LOCKS, lockKeys } from '../../../core/contracts/advisory-locks.ts';

/** Held by a maintenance run, and by `trail ocsf` while it derives by hand; one that finds it taken does not wait. */
const MAINTENANCE_LOCK = lockKeys(ADVISORY_LOCKS.maintenance);

/** Takes the maintenance lock on this session if no one holds it: whether it was taken. */
export async function tryMaintenanceLock(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1, $2) AS locked',
    MAINTENANCE_LOCK,
  );
  return rows[0]?.locked === true;
}

/** Gives back the maintenance lock this session took (tryMaintenanceLock). */
export async function releaseMaintenanceLock(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, $2)', MAINTENANCE_LOCK);
}
