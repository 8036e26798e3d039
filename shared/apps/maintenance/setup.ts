import { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import type { MaintenanceOptions } from '../../adapters/postgres/maintenance/maintain.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { objectStoreFromUrl } from '../archive/store-from-url.ts';
import type { lifecycleConfigShape } from './config.ts';

export type LifecycleConfig = z.infer<z.ZodObject<typeof lifecycleConfigShape>>;

/** The archive store ARCHIVE_URL names (an S3 client is made only for s3://). */
export function archiveStore(config: Pick<LifecycleConfig, 'ARCHIVE_URL' | 'ARCHIVE_KMS_KEY_ID'>): ObjectStore {
  return objectStoreFromUrl(config.ARCHIVE_URL, {
    client: () => new S3Client({}),
    ...(config.ARCHIVE_KMS_KEY_ID && { serverSideEncryption: 'aws:kms', kmsKeyId: config.ARCHIVE_KMS_KEY_ID }),
  });
}

/** The maintenance options the configuration sets; the caller adds the instant and its own hooks. */
export function maintenanceOptions(config: LifecycleConfig, now: Date): MaintenanceOptions {
  return {
    now,
    retentionMonths: config.RETENTION_MONTHS,
    premakeMonths: config.PREMAKE_MONTHS,
    rowsPerFile: config.ARCHIVE_ROWS_PER_FILE,
    workDir: config.ARCHIVE_WORK_DIR,
  };
}
