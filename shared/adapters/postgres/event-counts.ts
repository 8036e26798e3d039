import type pg from 'pg';

/**
 * Moves every committed delta into the rollups (`audit_roll_up_event_counts`, migration 013_event_counts) and returns
 * how many delta rows it moved. Safe to run at any time and from several places at once (the function serializes
 * roll-ups itself): the sealer runs it after each round, maintenance at each run. Counts are exact whether it ran or
 * not; it keeps the deltas GET /stats adds up few.
 */
export async function rollUpEventCounts(db: pg.Pool | pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ moved: string }>('SELECT audit_roll_up_event_counts() AS moved');
  return Number(rows[0]!.moved);
}
