import { z } from 'zod';
import { DEFAULT_SEAL_MAX_EVENTS } from '../../core/tamper/seal.ts';
import { archiveStoreConfigShape } from '../archive/config.ts';

/** What every sealer reads, on AWS and in the local stack (docs/tamper-evidence.md). */
export const sealConfigShape = {
  LOG_ID: z
    .string()
    .min(1)
    .max(128)
    .default('fleet-audit-trail')
    .describe("the log's name, written into every checkpoint (one name per deployment: a verifier checks it)"),
  SEAL_MAX_EVENTS: z.coerce
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(DEFAULT_SEAL_MAX_EVENTS)
    .describe('events the sealer reads and hashes per chunk (a round reads chunks until none is left)'),
};

/** The sealer function's settings: the shared ones, the KMS key that signs, and the archive the copies go to. */
export const sealerConfigShape = {
  ...sealConfigShape,
  SIGNING_KEY_ID: z
    .string()
    .min(1)
    .describe('the KMS key that signs checkpoints (key id, ARN or alias; ECC_NIST_P256, SIGN_VERIFY)'),
  ...archiveStoreConfigShape,
};
export type SealerConfig = z.infer<z.ZodObject<typeof sealerConfigShape>>;
