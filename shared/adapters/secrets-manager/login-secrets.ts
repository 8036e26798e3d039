import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { LOGIN_USERS, type LoginPasswords, type LoginUser } from '../../core/contracts/database-users.ts';
import { jsonText } from '../../core/domain/json-text.ts';

/** `DB_LOGIN_SECRETS`: each login user's Secrets Manager secret, as the migrate function's environment names them. */
export const loginSecretArns = jsonText(
  z.strictObject(
    Object.fromEntries(Object.values(LOGIN_USERS).map((user) => [user, z.string().min(1)])) as Record<
      LoginUser,
      z.ZodString
    >,
  ),
  'is not JSON',
);

/** The secret RDS Proxy reads for a user (the shape of rds.DatabaseSecret): its username must be that user. */
const databaseSecret = z.looseObject({ username: z.string(), password: z.string().min(16) });

/** Reads the login users' passwords from Secrets Manager, where RDS Proxy reads them too. */
export async function readLoginPasswords(
  client: Pick<SecretsManagerClient, 'send'>,
  arns: Record<LoginUser, string>,
): Promise<LoginPasswords> {
  const entries = await Promise.all(
    Object.entries(arns).map(async ([user, arn]) => {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      const parsed = databaseSecret.safeParse(SecretString === undefined ? undefined : JSON.parse(SecretString));
      if (!parsed.success) throw new Error(`secret ${arn} is not {username, password} (at least 16 characters)`);
      if (parsed.data.username !== user)
        throw new Error(`secret ${arn} is for "${parsed.data.username}", not the login user "${user}"`);
      return [user, parsed.data.password] as const;
    }),
  );
  return Object.fromEntries(entries) as LoginPasswords;
}
