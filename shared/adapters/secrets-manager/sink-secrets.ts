import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The fewest characters a sink secret may have: a Splunk HEC token is a 36-character GUID, webhook keys are longer. */
export const MIN_SINK_SECRET_LENGTH = 16;

/** A sink's secret (the HEC token, the webhook's HMAC key) as a plain string, its text trimmed. */
export async function readSinkSecret(
  client: Pick<SecretsManagerClient, 'send'>,
  sink: string,
  arn: string,
): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  const secret = SecretString?.trim() ?? '';
  if (secret.length < MIN_SINK_SECRET_LENGTH)
    throw new Error(
      `secret ${arn} (sink ${sink}) must hold at least ${MIN_SINK_SECRET_LENGTH} characters: put the sink's token or key in it (docs/sinks.md)`,
    );
  return secret;
}
