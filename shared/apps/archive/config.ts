import { z } from 'zod';

/**
 * Where the archive is, for every function that writes or reads it (maintenance, the sealer, the CLI). Its own module:
 * a function that only copies small objects there does not load the archiver (DuckDB) with its settings.
 */
export const archiveStoreConfigShape = {
  ARCHIVE_URL: z
    .string()
    .min(1)
    .default('file://.data/archive')
    .describe("the archive (expired months, the log's copies): s3://bucket/prefix or file://path"),
  ARCHIVE_KMS_KEY_ID: z.string().min(1).optional().describe('KMS key for the archive objects (default: SSE-S3)'),
};
