import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';

/** Temporary credentials from STS, in the shape the AWS SDK's clients take as `credentials`. */
export interface AssumedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AssumeRoleOptions {
  roleArn: string;
  /** What the role's trust policy asks for (sts:ExternalId). */
  externalId: string;
  /** Names the caller in CloudTrail's record of the role's use (2–64 of `\w+=,.@-`). */
  sessionName: string;
  /** The clock, for tests. */
  now?: () => number;
}

/** Credentials are renewed this long before they expire, so an upload never starts with ones about to lapse. */
export const RENEW_BEFORE_MS = 5 * 60_000;

const STS_CREDENTIALS = z.object({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  SessionToken: z.string().min(1),
  Expiration: z.date(),
});

/**
 * A credentials provider for an S3 (or any SDK) client that assumes `roleArn` with the external id on first use and
 * reuses the credentials until shortly before they expire; concurrent callers share one AssumeRole call. A refused
 * AssumeRole rejects naming the role (and is tried again on the next call).
 */
export function assumedRoleCredentials(sts: STSClient, options: AssumeRoleOptions): () => Promise<AssumedCredentials> {
  const now = options.now ?? Date.now;
  let cached: AssumedCredentials | undefined;
  let pending: Promise<AssumedCredentials> | undefined;
  const assume = async (): Promise<AssumedCredentials> => {
    try {
      const response = await sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          ExternalId: options.externalId,
          RoleSessionName: options.sessionName,
        }),
      );
      const c = STS_CREDENTIALS.parse(response.Credentials);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (error) {
      throw new Error(`assuming ${options.roleArn}: ${(error as Error).message}`, { cause: error });
    }
  };
  return () => {
    if (cached && now() < cached.expiration.getTime() - RENEW_BEFORE_MS) return Promise.resolve(cached);
    pending ??= assume()
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
