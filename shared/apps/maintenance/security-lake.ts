import { FileObjectStore } from '../../adapters/files/file-store.ts';
import type { MonthDerivation } from '../../adapters/postgres/maintenance/lake-exports.ts';
import { S3ObjectStore } from '../../adapters/s3/s3-store.ts';
import { DEFAULT_PRODUCT } from '../../core/ocsf/mapping.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { deriveSecurityLakeMonth, type SecurityLakeTarget } from '../archive/security-lake.ts';
import { defaultLakeClients, type LakeClients, providerRoleStore } from './provider-roles.ts';
import type { SecurityLakeConfig } from './security-lake-config.ts';

/**
 * The lake's store, undefined when none is configured: the folder; or the bucket, each class written through its
 * custom source's provider role when SECURITY_LAKE_PROVIDER_ROLES is set (what the stack sets), else with this
 * process's own credentials (an operator's `trail ocsf`).
 */
export function securityLakeStore(
  config: Pick<
    SecurityLakeConfig,
    | 'SECURITY_LAKE_DIR'
    | 'SECURITY_LAKE_BUCKET'
    | 'SECURITY_LAKE_SOURCE_PREFIX'
    | 'SECURITY_LAKE_PROVIDER_ROLES'
    | 'SECURITY_LAKE_EXTERNAL_ID'
  >,
  clients: LakeClients = {},
): ObjectStore | undefined {
  if (config.SECURITY_LAKE_DIR && config.SECURITY_LAKE_BUCKET)
    throw new Error('set SECURITY_LAKE_DIR or SECURITY_LAKE_BUCKET, not both');
  const roles = config.SECURITY_LAKE_PROVIDER_ROLES;
  if (roles && !config.SECURITY_LAKE_BUCKET)
    throw new Error('SECURITY_LAKE_PROVIDER_ROLES writes to SECURITY_LAKE_BUCKET: set it (and not SECURITY_LAKE_DIR)');
  if (roles && !config.SECURITY_LAKE_EXTERNAL_ID)
    throw new Error('SECURITY_LAKE_PROVIDER_ROLES needs SECURITY_LAKE_EXTERNAL_ID, which their trust policy asks for');
  if (config.SECURITY_LAKE_DIR) return new FileObjectStore(config.SECURITY_LAKE_DIR);
  if (!config.SECURITY_LAKE_BUCKET) return undefined;
  // Security Lake's bucket encrypts with its own default settings; the objects ask for SSE-S3 like the archive's.
  if (roles && config.SECURITY_LAKE_EXTERNAL_ID)
    return providerRoleStore(
      {
        bucket: config.SECURITY_LAKE_BUCKET,
        sourcePrefix: config.SECURITY_LAKE_SOURCE_PREFIX,
        roles,
        externalId: config.SECURITY_LAKE_EXTERNAL_ID,
      },
      clients,
    );
  return new S3ObjectStore((clients.s3 ?? defaultLakeClients.s3)(), { bucket: config.SECURITY_LAKE_BUCKET });
}

/** The target the derivation writes to, from the configuration and a store (the configured one, or `--out`). */
export function securityLakeTarget(config: SecurityLakeConfig, store: ObjectStore): SecurityLakeTarget {
  return {
    store,
    region: config.SECURITY_LAKE_REGION,
    accountId: config.SECURITY_LAKE_ACCOUNT_ID,
    sourcePrefix: config.SECURITY_LAKE_SOURCE_PREFIX,
    product: DEFAULT_PRODUCT,
  };
}

/** Each archived month's derivation into `lake`, read from `archive`. */
export function lakeDerivation(archive: ObjectStore, lake: SecurityLakeTarget): MonthDerivation {
  return {
    destination: lake.store.url,
    async derive(month, generation, workDir) {
      const objects = await deriveSecurityLakeMonth({ archive, lake, month, generation, workDir });
      return { objects: objects.length, rows: objects.reduce((sum, o) => sum + o.rows, 0) };
    },
  };
}

/**
 * The maintenance dependency for a configured lake, spread into runMaintenance's deps: `{ securityLake }`, or
 * nothing when no lake is configured.
 */
export function securityLakeDeps(config: SecurityLakeConfig, archive: ObjectStore): { securityLake?: MonthDerivation } {
  const store = securityLakeStore(config);
  return store ? { securityLake: lakeDerivation(archive, securityLakeTarget(config, store)) } : {};
}
