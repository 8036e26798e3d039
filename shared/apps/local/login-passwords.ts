import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { generatePassword } from '../../adapters/postgres/login-users.ts';
import { LOGIN_USERS, type LoginPasswords } from '../../core/contracts/database-users.ts';

const savedPasswords = z.object({
  [LOGIN_USERS.writer]: z.string().min(16),
  [LOGIN_USERS.reader]: z.string().min(16),
});

/**
 * The passwords the local stack's writer and reader log in with: from DB_WRITER_PASSWORD / DB_READER_PASSWORD when
 * set, else generated once and kept in DATA_DIR/db-login.json (mode 600), as Secrets Manager keeps them on AWS.
 */
export async function localLoginPasswords(
  dataDir: string,
  configured: { writer?: string | undefined; reader?: string | undefined },
): Promise<LoginPasswords> {
  if (configured.writer && configured.reader) {
    return { [LOGIN_USERS.writer]: configured.writer, [LOGIN_USERS.reader]: configured.reader };
  }
  const file = join(dataDir, 'db-login.json');
  if (existsSync(file)) {
    const parsed = savedPasswords.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success)
      throw new Error(`${file} is not {audit_writer, audit_reader} passwords: delete it to regenerate`);
    return parsed.data;
  }
  const passwords = { [LOGIN_USERS.writer]: generatePassword(), [LOGIN_USERS.reader]: generatePassword() };
  await writeFile(file, `${JSON.stringify(passwords)}\n`, { mode: 0o600 });
  return passwords;
}
