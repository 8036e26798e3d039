import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_ROWS_PER_FILE } from '../../adapters/postgres/maintenance/maintain.ts';
import { archiveStoreConfigShape } from '../archive/config.ts';
import { securityLakeConfigShape } from './security-lake-config.ts';

const count = (fallback: number, max: number) => z.coerce.number().int().min(0).max(max).default(fallback);

/** The lifecycle's settings, for `loadConfig` (every variable has a default; see docs/archive.md). */
export const lifecycleConfigShape = {
  RETENTION_MONTHS: count(13, 1200).describe('months PostgreSQL keeps before the current one; 0 keeps every month'),
  PREMAKE_MONTHS: count(3, 24).describe('future months whose partitions exist ahead of time'),
  ARCHIVE_URL: archiveStoreConfigShape.ARCHIVE_URL,
  ARCHIVE_ROWS_PER_FILE: z.coerce
    .number()
    .int()
    .min(1000)
    .default(DEFAULT_ROWS_PER_FILE)
    .describe('rows per Parquet file (bounds the local disk and memory an export needs)'),
  ARCHIVE_WORK_DIR: z
    .string()
    .min(1)
    .default(join(tmpdir(), 'audit-archive'))
    .describe('local scratch folder for export files (on Lambda under /tmp)'),
  ARCHIVE_KMS_KEY_ID: archiveStoreConfigShape.ARCHIVE_KMS_KEY_ID,
  ATHENA_WORKGROUP: z.string().min(1).optional().describe('Athena workgroup that queries an s3:// archive'),
  GLUE_DATABASE: z.string().min(1).optional().describe('Glue database holding the archive table'),
  ...securityLakeConfigShape,
};
