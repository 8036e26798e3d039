import type pg from 'pg';
import type { SavedView, SavedViewStore } from '../../core/ports/query.ts';
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

/** Saved views in PostgreSQL (`saved_views`); every statement is scoped to the calling user. */
export class PgSavedViews implements SavedViewStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(user: string): Promise<SavedView[]> {
    const { rows } = await this.pool.query<ViewRow>(
      'SELECT name, filters, created_at FROM saved_views WHERE user_id = $1 ORDER BY name',
      [user],
    );
    return rows.map(toView);
  }

  async create(user: string, name: string, filters: FilterParams): Promise<SavedView | false> {
    const { rows } = await this.pool.query<ViewRow>(
      'INSERT INTO saved_views (user_id, name, filters) VALUES ($1, $2, $3::jsonb) ' +
        'ON CONFLICT DO NOTHING RETURNING name, filters, created_at',
      [user, name, JSON.stringify(filters)],
    );
    return rows[0] ? toView(rows[0]) : false;
  }

  async remove(user: string, name: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM saved_views WHERE user_id = $1 AND name = $2', [user, name]);
    return (result.rowCount ?? 0) > 0;
  }
}
