import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { databaseOptionsFromEnv } from '../../shared/adapters/postgres/pool.ts';

describe('databaseOptionsFromEnv', () => {
  const iam = {
    DB_HOST: 'proxy.example',
    DB_NAME: 'audit',
    DB_USER: 'writer',
    DB_IAM_AUTH: 'true',
    AWS_REGION: 'eu-west-1',
  };

  it('prefers DATABASE_URL', () => {
    expect(
      databaseOptionsFromEnv({ DATABASE_URL: 'postgres://x@h/db', DB_HOST: 'ignored', DB_USER: 'audit_reader' }),
    ).toEqual({ connectionString: 'postgres://x@h/db' });
  });

  it('builds an IAM connection from DB_* with port 5432 by default', () => {
    expect(databaseOptionsFromEnv(iam)).toEqual({
      host: 'proxy.example',
      port: 5432,
      database: 'audit',
      user: 'writer',
      iamAuth: true,
      region: 'eu-west-1',
    });
    expect(databaseOptionsFromEnv({ ...iam, DB_PORT: '6543' })).toMatchObject({ port: 6543 });
  });

  it('names the missing variable', () => {
    expect(() => databaseOptionsFromEnv({})).toThrow('DB_HOST is not set (or set DATABASE_URL)');
    for (const name of ['DB_NAME', 'DB_USER', 'AWS_REGION'] as const) {
      expect(() => databaseOptionsFromEnv({ ...iam, [name]: undefined })).toThrow(`${name} is not set`);
    }
    expect(() => databaseOptionsFromEnv({ ...iam, DB_IAM_AUTH: undefined })).toThrow(/DB_IAM_AUTH/);
    expect(() => databaseOptionsFromEnv({ ...iam, DB_PORT: 'abc' })).toThrow(/DB_PORT/);
  });
});

describe('MIGRATIONS', () => {
  it('are numbered, unique and in order', () => {
    const names = MIGRATIONS.map((m) => m.name);
    for (const name of names) expect(name).toMatch(/^\d{3}_[a-z0-9_]+$/);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
  });
});
