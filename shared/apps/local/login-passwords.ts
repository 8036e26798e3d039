import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { generatePassword } from '../../adapters/postgres/login-users.ts';
import { LOGIN_USERS, type LoginPasswords, type LoginUser } from '../../core/contracts/database-users.ts';

/** What DATA_DIR/db-login.json may hold: a password per login user; a user added since it was written is missing. */
const savedPasswords = z.strictObject(
  Object.fromEntries(Object.values(LOGIN_USERS).map((user) => [user, z.string().min(16).optional()])) as Record<
    LoginUser,
    z.ZodOptional<z.ZodString>
  >,
);

/** A login user's password as DATA_DIR/db-login.json keeps it, read only; undefined when none is kept. */
export async function savedLoginPassword(dataDir: string, user: LoginUser): Promise<string | undefined> {
  return (await readSaved(join(dataDir, 'db-login.json')))[user];
}

async function readSaved(file: string): Promise<z.infer<typeof savedPasswords>> {
  if (!existsSync(file)) return {};
  const parsed = savedPasswords.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${file} is not {${Object.values(LOGIN_USERS).join(', ')}} passwords: delete it to regenerate`);
  return parsed.data;
}

/** The passwords configured by name (DB_WRITER_PASSWORD → writer, …). */
export type ConfiguredPasswords = Partial<Record<keyof typeof LOGIN_USERS, string | undefined>>;

/**
 * The passwords the local stack's login users log in with: each from its DB_<NAME>_PASSWORD when set, else from
 * DATA_DIR/db-login.json (mode 600), where one missing is generated and added, as Secrets Manager keeps them on AWS.
 */
export async function localLoginPasswords(dataDir: string, configured: ConfiguredPasswords): Promise<LoginPasswords> {
  const names = Object.keys(LOGIN_USERS) as (keyof typeof LOGIN_USERS)[];
  if (names.every((name) => configured[name])) {
    return Object.fromEntries(names.map((name) => [LOGIN_USERS[name], configured[name]])) as LoginPasswords;
  }
  const file = join(dataDir, 'db-login.json');
  const saved = await readSaved(file);
  const kept = Object.fromEntries(
    Object.values(LOGIN_USERS).map((user) => [user, saved[user] ?? generatePassword()]),
  ) as LoginPasswords;
  if (Object.values(LOGIN_USERS).some((user) => saved[user] === undefined))
    await writeFile(file, `${JSON.stringify(kept)}\n`, { mode: 0o600 });
  return Object.fromEntries(
    names.map((name) => [LOGIN_USERS[name], configured[name] || kept[LOGIN_USERS[name]]]),
  ) as LoginPasswords;
}
