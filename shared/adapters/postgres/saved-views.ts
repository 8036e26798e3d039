import type pg from 'pg';
import type { SavedView, SavedViewStore, ViewActor } from '../../core/ports/query.ts';
import type { FilterParams } from '../../core/query/params.ts';

interface ViewRow {
  name: string;
  filters: FilterParams;
  created_at: Date;
}

const toView = (row: ViewRow): SavedView => ({
  name: row.name,
  filters: row.filters,
  createdAt: row.created_at.toISOString(),
});

/**
 * Saved views in PostgreSQL (`saved_views`). Every statement runs in a transaction that first sets who acts
 * (`app.user`, `app.admin`, local to the transaction, so a pooled connection never carries them to the next
 * caller); the table's row-level security (migration 009) then decides which rows that actor may see, add or delete.
 * The WHERE clauses below choose among those rows; they are not what keeps users apart.
 */
export class PgSavedViews implements SavedViewStore {
  constructor(private readonly pool: pg.Pool) {}

  list(actor: ViewActor, owner: string): Promise<SavedView[]> {
    return this.as(actor, async (client) => {
      const { rows } = await client.query<ViewRow>(
        'SELECT name, filters, created_at FROM saved_views WHERE user_id = $1 ORDER BY name',
        [owner],
      );
      return rows.map(toView);
    });
  }

  create(actor: ViewActor, name: string, filters: FilterParams): Promise<SavedView | false> {
    return this.as(actor, async (client) => {
      const { rows } = await client.query<ViewRow>(
        'INSERT INTO saved_views (user_id, name, filters) VALUES ($1, $2, $3::jsonb) ' +
          'ON CONFLICT DO NOTHING RETURNING name, filters, created_at',
        [actor.user, name, JSON.stringify(filters)],
      );
      return rows[0] ? toView(rows[0]) : false;
    });
  }

  remove(actor: ViewActor, owner: string, name: string): Promise<boolean> {
    return this.as(actor, async (client) => {
      const result = await client.query('DELETE FROM saved_views WHERE user_id = $1 AND name = $2', [owner, name]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  private async as<T>(actor: ViewActor, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.user', $1, true), set_config('app.admin', $2, true)", [
        actor.user,
        actor.admin ? 'on' : 'off',
      ]);
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot roll back is discarded rather than returned to the pool mid-transaction.
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken = rollback;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
