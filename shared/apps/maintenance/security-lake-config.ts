import { z } from 'zod';
import { MAX_SOURCE_PREFIX } from '../../core/ocsf/security-lake.ts';

/**
 * Where maintenance writes the OCSF objects of each month it archives (docs/ocsf.md): the lake's bucket on AWS, a
 * folder standing in for it locally. Neither set: nothing is derived.
 * A module of its own, so reading the configuration does not load the derivation (DuckDB).
 */
export const securityLakeConfigShape = {
  SECURITY_LAKE_DIR: z
    .string()
    .min(1)
    .optional()
    .describe("a folder standing in for Security Lake's bucket: the OCSF objects of each archived month go there"),
  SECURITY_LAKE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .optional()
    .describe("Security Lake's bucket (aws-security-data-lake-<region>-<id>): the OCSF objects go under ext/<source>/"),
  SECURITY_LAKE_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must be a Region name, e.g. eu-west-1')
    .default('local')
    .describe('the Region the objects are partitioned under (region=…)'),
  SECURITY_LAKE_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be 12 digits')
    .default('000000000000')
    .describe('the account the objects are partitioned under (accountId=…)'),
  SECURITY_LAKE_SOURCE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, "-" or "_"')
    .max(MAX_SOURCE_PREFIX)
    .default('fleet-audit')
    .describe('each OCSF class goes to the custom source <prefix>-<class> (api, auth, account, entity)'),
};

export type SecurityLakeConfig = z.infer<z.ZodObject<typeof securityLakeConfigShape>>;
