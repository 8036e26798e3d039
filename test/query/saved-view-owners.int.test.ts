import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { PgSavedViews } from '../../shared/adapters/postgres/saved-views.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { queryApi } from './api-support.ts';
import { NOW } from './fixture.ts';

let db: TestDatabase;
/** Logged in as audit_reader, the query API's own user; one connection, so every statement reuses it. */
let reader: pg.Pool;
let views: PgSavedViews;

const bobs = { name: 'Line 2', filters: { entity: 'line:l-2' } };
const bob = { user: 'bob', admin: false };
const alice = { user: 'alice', admin: false };
const admin = { user: 'ada', admin: true };

beforeAll(async () => {
  db = await createTestDatabase('saved_view_owners');
  reader = createPool({ connectionString: db.readerUrl, max: 1 });
  views = new PgSavedViews(reader);
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

beforeEach(async () => {
  // As the owner (migrations), which row-level security does not apply to.
  await db.pool.query('DELETE FROM saved_views');
  await db.pool.query("INSERT INTO saved_views (user_id, name, filters) VALUES ('bob', $1, $2)", [
    bobs.name,
    bobs.filters,
  ]);
});

const bobsViews = async () =>
  (await db.pool.query("SELECT name FROM saved_views WHERE user_id = 'bob'")).rows.map((row) => row.name);

/** Runs statements as audit_reader in one transaction, `app.user` set to `user` first when given. */
async function asReader(user: string | undefined, sql: string, values: unknown[] = []) {
  const client = await reader.connect();
  try {
    await client.query('BEGIN');
    if (user !== undefined) await client.query("SELECT set_config('app.user', $1, true)", [user]);
    const result = await client.query(sql, values);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

describe('saved views belong to their owner, in PostgreSQL (row-level security)', () => {
  it("audit_reader cannot delete another user's view, even with a statement that names no owner", async () => {
    expect((await asReader('alice', "DELETE FROM saved_views WHERE user_id = 'bob'")).rowCount).toBe(0);
    expect((await asReader('alice', 'DELETE FROM saved_views')).rowCount).toBe(0);
    expect(await bobsViews()).toEqual([bobs.name]);
  });

  it('a statement run without saying who acts sees and deletes nothing', async () => {
    expect((await reader.query('SELECT * FROM saved_views')).rows).toEqual([]);
    expect((await reader.query('DELETE FROM saved_views')).rowCount).toBe(0);
    expect(await bobsViews()).toEqual([bobs.name]);
  });

  it("audit_reader cannot create a view in another user's name", async () => {
    await expect(
      asReader('alice', "INSERT INTO saved_views (user_id, name, filters) VALUES ('bob', 'planted', '{}')"),
    ).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(/row-level security/) });
    expect(await bobsViews()).toEqual([bobs.name]);
  });

  it('the adapter: another user neither lists nor deletes them; the owner and an admin can', async () => {
    expect(await views.list(alice, 'bob')).toEqual([]);
    expect(await views.remove(alice, 'bob', bobs.name)).toBe(false);
    expect(await bobsViews()).toEqual([bobs.name]);

    expect((await views.list(admin, 'bob')).map((view) => view.name)).toEqual([bobs.name]);
    expect(await views.remove(admin, 'bob', bobs.name)).toBe(true);
    expect(await bobsViews()).toEqual([]);

    expect(await views.create(bob, bobs.name, bobs.filters)).toMatchObject(bobs);
    expect(await views.remove(bob, 'bob', bobs.name)).toBe(true);
    expect(await bobsViews()).toEqual([]);
  });

  it("does not leave the actor on the pooled connection: the next statement is nobody's", async () => {
    expect(await views.list(admin, 'bob')).toHaveLength(1);
    // The same (only) connection of the pool, after the adapter's transaction.
    expect((await reader.query('SELECT * FROM saved_views')).rows).toEqual([]);
  });

  it('an admin creates views in their own name only', async () => {
    await views.create(admin, 'Mine', {});
    expect((await db.pool.query("SELECT user_id FROM saved_views WHERE name = 'Mine'")).rows).toEqual([
      { user_id: 'ada' },
    ]);
  });
});

describe('saved views through the API', () => {
  const call = (...args: Parameters<ReturnType<typeof queryApi>['call']>) => queryApi(reader, () => NOW).call(...args);
  const path = { pathParameters: { name: bobs.name } };

  it("refuses a non-admin another user's views with 403, and lets an admin list and delete them", async () => {
    const asAuditor = await call('DELETE /views/{name}', { user: 'alice', query: { owner: 'bob' }, ...path });
    expect(asAuditor).toMatchObject({ status: 403, json: { error: expect.stringMatching(/only an admin/) } });
    expect((await call('GET /views', { user: 'alice', query: { owner: 'bob' } })).status).toBe(403);
    expect(await bobsViews()).toEqual([bobs.name]);

    const listed = await call('GET /views', { user: 'ada', role: 'admin', query: { owner: 'bob' } });
    expect(listed.json.views.map((view: { name: string }) => view.name)).toEqual([bobs.name]);
    const deleted = await call('DELETE /views/{name}', {
      user: 'ada',
      role: 'admin',
      query: { owner: 'bob' },
      ...path,
    });
    expect(deleted.status).toBe(204);
    expect(await bobsViews()).toEqual([]);
  });

  it('the owner deletes their own view', async () => {
    expect((await call('DELETE /views/{name}', { user: 'bob', ...path })).status).toBe(204);
    expect(await bobsViews()).toEqual([]);
  });
});
