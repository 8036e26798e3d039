import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MIN_CURSOR_SECRET_BYTES } from '../../core/query/page-cursor.ts';

/** Reads the query API's cursor-signing secret (a plain generated string, infra/stacks/stateful-stack.ts). */
export async function readCursorSecret(client: Pick<SecretsManagerClient, 'send'>, arn: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (SecretString === undefined || Buffer.byteLength(SecretString) < MIN_CURSOR_SECRET_BYTES)
    throw new Error(
      `secret ${arn} (CURSOR_SECRET_ARN) must hold at least ${MIN_CURSOR_SECRET_BYTES} bytes of text to sign paging cursors`,
    );
  return SecretString;
}
