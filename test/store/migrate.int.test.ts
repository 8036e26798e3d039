import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../shared/adapters/postgres/migrate.ts';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate', { migrated: false });
  });
  afterAll(() => db?.drop());

  it('applies every migration once, even when two runs start together', async () => {
    const other = createPool({ connectionString: db.url, max: 1 });
    try {
      const runs = await Promise.all([migrate(db.pool), migrate(other)]);
      const applied = runs.flatMap((run) => run.applied);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await other.end();
    }
    const { rows } = await db.pool.query('SELECT name, checksum FROM schema_migrations ORDER BY name');
    expect(rows.map((row) => row.name)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
  });

  it('does nothing the second time', async () => {
    const logged: string[] = [];
    expect(await migrate(db.pool, { log: (message) => logged.push(message) })).toEqual({ applied: [] });
    expect(logged).toEqual([]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const [first, ...rest] = MIGRATIONS;
    const edited = { name: first!.name, sql: `${first!.sql}\n-- edited` };
    await expect(migrate(db.pool, { migrations: [edited, ...rest] })).rejects.toThrow(
      /migration 001_events was changed after it was applied/,
    );
  });

  it('rolls back a failing migration and names it', async () => {
    const broken = { name: '999_broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' };
    await expect(migrate(db.pool, { migrations: [...MIGRATIONS, broken] })).rejects.toThrow(
      /migration 999_broken failed/,
    );
    const { rows } = await db.pool.query(
      `SELECT to_regclass('half_done') AS table, (SELECT count(*)::int FROM schema_migrations WHERE name = '999_broken') AS recorded`,
    );
    expect(rows[0]).toEqual({ table: null, recorded: 0 });
  });
});
