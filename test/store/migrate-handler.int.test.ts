import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createMigrateHandler } from '../../shared/apps/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('migrate function', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate_handler', { migrated: false });
  });
  afterAll(() => db?.drop());

  it('migrates as the owner, then the login users log in with their secrets’ passwords', async () => {
    // The passwords this run already uses: the login users are the server's, shared with every other test file.
    const migrateOnce = createMigrateHandler({ pool: db.pool, loginPasswords: async () => inject('loginPasswords') });
    expect(await migrateOnce()).toEqual({ applied: MIGRATIONS.map((m) => m.name) });
    const writer = createPool({ connectionString: db.writerUrl, max: 1 });
    try {
      expect((await writer.query('SELECT session_user AS user')).rows[0].user).toBe('audit_writer');
    } finally {
      await writer.end();
    }
  });

  it('fails (and so fails the deploy) when the passwords cannot be read', async () => {
    const migrateOnce = createMigrateHandler({
      pool: db.pool,
      loginPasswords: () => Promise.reject(new Error('AccessDeniedException: secretsmanager:GetSecretValue')),
    });
    await expect(migrateOnce()).rejects.toThrow(/AccessDeniedException/);
  });
});
