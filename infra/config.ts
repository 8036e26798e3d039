import { z } from 'zod';
import { MAX_SOURCE_PREFIX } from '../shared/core/ocsf/security-lake.ts';
import { sinksTextSchema } from '../shared/core/streams/sinks.ts';

/** Deploy-time settings, read once from `cdk.json` context (or `cdk deploy -c key=value`). */
const configSchema = z
  .object({
    envName: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, 'must be 1-16 lower-case letters, digits or "-", starting with a letter'),
    /** Months of events kept in PostgreSQL before they live only in the archive. */
    retentionMonths: z.coerce.number().int().min(1).max(120),
    /** Months of partitions created ahead of time. */
    premakeMonths: z.coerce.number().int().min(1).max(24),
    alarmEmail: z.email().optional(),
    objectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
    objectLockDays: z.coerce.number().int().min(1).max(36500),
    jwtIssuer: z.url({ protocol: /^https$/ }).optional(),
    jwtAudience: z.string().min(1).optional(),
    /** Athena cancels a query that would scan more (its minimum is 10 MB). */
    athenaBytesScannedCutoff: z.coerce.number().int().min(10_000_000),
    /** Declares the trail's custom sources in Amazon Security Lake (docs/ocsf.md); off unless set. */
    securityLake: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
      .default(false),
    /** The lake's bucket in this Region, `aws-security-data-lake-<region>-<id>`. */
    securityLakeBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
      .optional(),
    /** The external id Security Lake puts in each provider role's trust policy. */
    securityLakeExternalId: z.string().min(2).max(1224).optional(),
    /** Each class's source is `<prefix>-<class>`, at most 20 characters in all. */
    securityLakeSourcePrefix: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/)
      .max(MAX_SOURCE_PREFIX)
      .default('fleet-audit'),
    /** The sinks the forwarder streams the sealed log to, in SINKS' format (docs/sinks.md); none: no forwarder. */
    sinks: sinksTextSchema,
  })
  .refine(
    (config) =>
      !config.securityLake || (config.securityLakeBucket !== undefined && config.securityLakeExternalId !== undefined),
    {
      path: ['securityLake'],
      message: 'set securityLakeBucket and securityLakeExternalId to declare the Security Lake sources',
    },
  )
  .refine((config) => (config.jwtIssuer === undefined) === (config.jwtAudience === undefined), {
    path: ['jwtAudience'],
    message: 'set jwtIssuer and jwtAudience together (or neither, to use the Cognito user pool)',
  });

export type DeployConfig = z.infer<typeof configSchema>;
export const CONFIG_KEYS = [
  'envName',
  'retentionMonths',
  'premakeMonths',
  'alarmEmail',
  'objectLockMode',
  'objectLockDays',
  'jwtIssuer',
  'jwtAudience',
  'athenaBytesScannedCutoff',
  'securityLake',
  'securityLakeBucket',
  'securityLakeExternalId',
  'securityLakeSourcePrefix',
  'sinks',
] as const;

/** Parses the settings; an empty string counts as unset, so `-c alarmEmail=` turns a default off. */
export function parseConfig(read: (key: string) => unknown): DeployConfig {
  const raw = Object.fromEntries(
    CONFIG_KEYS.map((key) => [key, read(key)]).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new Error(`Invalid deploy configuration (cdk.json context):\n${problems.join('\n')}`);
  }
  return parsed.data;
}
