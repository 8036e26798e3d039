import { z } from 'zod';
import { jsonText } from '../../core/domain/json-text.ts';
import { OCSF_CLASS_KEYS } from '../../core/ocsf/classes.ts';
import { MAX_SOURCE_PREFIX } from '../../core/ocsf/security-lake.ts';

const ROLE_ARN = z.string().regex(/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN');

/** `{"apiActivity": "<role ARN>", …}`: every class's provider role. */
const PROVIDER_ROLES = jsonText(z.record(z.enum(OCSF_CLASS_KEYS), ROLE_ARN), 'must be a JSON object');

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
  SECURITY_LAKE_PROVIDER_ROLES: PROVIDER_ROLES.optional().describe(
    "the provider role Security Lake made for each class's custom source, as JSON by class " +
      '({"apiActivity": "<role ARN>", …}): with SECURITY_LAKE_BUCKET, each class is written through its role',
  ),
  SECURITY_LAKE_EXTERNAL_ID: z
    .string()
    .min(2)
    .max(1224)
    .regex(/^[\w+=,.@:/-]*$/, 'must be letters, digits or +=,.@:/-')
    .optional()
    .describe("the external id the provider roles' trust policy asks for (CreateCustomLogSource's providerIdentity)"),
};

export type SecurityLakeConfig = z.infer<z.ZodObject<typeof securityLakeConfigShape>>;
