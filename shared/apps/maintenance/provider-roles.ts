import type { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { S3ObjectStore } from '../../adapters/s3/s3-store.ts';
import { type AssumedCredentials, assumedRoleCredentials } from '../../adapters/sts/assumed-role.ts';
import { OCSF_CLASS_KEYS, OCSF_CLASSES, type OcsfClassKey } from '../../core/ocsf/classes.ts';
import { securityLakeSourceName, securityLakeSourceOfKey } from '../../core/ocsf/security-lake.ts';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../../core/ports/object-store.ts';

/** How the lake's clients are made; tests pass their own. */
export interface LakeClients {
  sts?: () => STSClient;
  s3?: (credentials?: () => Promise<AssumedCredentials>) => S3Client;
}

export const defaultLakeClients: Required<LakeClients> = {
  sts: () => new STSClient({}),
  s3: (credentials) => new S3Client(credentials ? { credentials } : {}),
};

/** The session name each class's role is assumed with: it names the trail and the class in CloudTrail. */
export function providerRoleSessionName(key: OcsfClassKey): string {
  return `fleet-audit-trail-ocsf-${OCSF_CLASSES[key].sourceSuffix}`;
}

/**
 * Security Lake's bucket, each custom source's objects written through the provider role Security Lake made for
 * that source (its `ext/<source>/` prefix is what the role may write): one S3 client per class, with that role's
 * credentials, assumed with the external id on first use and kept for the run (adapters/sts/assumed-role.ts).
 */
export function providerRoleStore(
  input: {
    bucket: string;
    sourcePrefix: string;
    roles: Record<OcsfClassKey, string>;
    externalId: string;
  },
  clients: LakeClients = {},
): ObjectStore {
  const { sts, s3 } = { ...defaultLakeClients, ...clients };
  const stsClient = sts();
  const bySource = new Map(
    OCSF_CLASS_KEYS.map((key) => {
      const credentials = assumedRoleCredentials(stsClient, {
        roleArn: input.roles[key],
        externalId: input.externalId,
        sessionName: providerRoleSessionName(key),
      });
      const store = new S3ObjectStore(s3(credentials), { bucket: input.bucket });
      return [securityLakeSourceName(input.sourcePrefix, key), store] as const;
    }),
  );
  return new PerSourceStore(`s3://${input.bucket}/`, bySource);
}

/** Routes each key to the store of the custom source it is under (`ext/<source>/…`); any other key is refused. */
export class PerSourceStore implements ObjectStore {
  constructor(
    readonly url: string,
    private readonly bySource: ReadonlyMap<string, ObjectStore>,
  ) {}

  async put(key: string, body: ObjectBody): Promise<void> {
    return this.storeOf(key).put(key, body);
  }

  async get(key: string): Promise<Readable> {
    return this.storeOf(key).get(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return this.storeOf(prefix).list(prefix);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.storeOf(key).head(key);
  }

  private storeOf(key: string): ObjectStore {
    const source = securityLakeSourceOfKey(key);
    const store = source === undefined ? undefined : this.bySource.get(source);
    if (!store)
      throw new Error(
        `${key} is under none of the custom sources ${[...this.bySource.keys()].join(', ')} (ext/<source>/…)`,
      );
    return store;
  }
}
