import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../bench/scratch-database.ts';

export type TestDatabase = ScratchDatabase;

/**
 * A fresh database for one test file (`t_<label>_<random>`), created, owned and migrated (unless asked not to be) by
 * the non-superuser owner; `writerUrl`/`readerUrl` log in as the application's own users.
 */
export function createTestDatabase(label: string, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 40);
  return createScratchDatabase(inject('ownerServerUrl'), `t_${slug}_${randomBytes(4).toString('hex')}`, {
    ...options,
    passwords: inject('loginPasswords'),
    applicationName: `test:${label}`,
  });
}
