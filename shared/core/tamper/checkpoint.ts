import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { z } from 'zod';
import type { CheckpointSigner } from '../ports/signer.ts';
import { canonicalize } from './canonical-json.ts';

/**
 * A checkpoint: the signed statement "the log `logId` had `treeSize` leaves with root `rootHash`", numbered densely
 * from 0 and chained to the one before by `previousHash`, so that a checkpoint removed, replaced or reordered breaks
 * the chain even where the tree itself would not show it (a rewritten tail with a new signature).
 */
export const CHECKPOINT_FORMAT = 'fleet-audit-trail/checkpoint/v1';

/** A SHA-256 as 64 lower-case hex characters: the one spelling, so canonical bytes have one form. */
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in 64 lower-case hex characters');

export const checkpointBodySchema = z
  .strictObject({
    format: z.literal(CHECKPOINT_FORMAT),
    logId: z.string().min(1).max(128),
    number: z.int().nonnegative(),
    treeSize: z.int().nonnegative(),
    rootHash: sha256HexSchema,
    /** checkpointHash of checkpoint number − 1; null for checkpoint 0 only. */
    previousHash: sha256HexSchema.nullable(),
    issuedAt: z.iso.datetime({ precision: 3 }),
    keyId: z.string().min(1).max(256),
  })
  .refine((body) => (body.number === 0) === (body.previousHash === null), {
    path: ['previousHash'],
    message: 'is null for checkpoint 0 and for it only',
  });
export type CheckpointBody = z.infer<typeof checkpointBodySchema>;

export const signedCheckpointSchema = z.strictObject({
  body: checkpointBodySchema,
  /** ECDSA P-256 over SHA-256 of checkpointBytes(body), DER-encoded (as KMS ECDSA_SHA_256 returns it), base64. */
  signature: z.base64().min(1),
});
export type SignedCheckpoint = z.infer<typeof signedCheckpointSchema>;

/** What is signed and hashed: the UTF-8 of the body's canonical JSON (RFC 8785). */
export function checkpointBytes(body: CheckpointBody): Buffer {
  return Buffer.from(canonicalize(body), 'utf8');
}

/** SHA-256 of checkpointBytes: what the next checkpoint's previousHash holds (hex). */
export function checkpointHash(body: CheckpointBody): Buffer {
  return createHash('sha256').update(checkpointBytes(body)).digest();
}

/** The body that follows `previous` (or the first one), with the given tree head. */
export function nextCheckpointBody(
  previous: CheckpointBody | undefined,
  head: { logId: string; treeSize: number; rootHash: Buffer; issuedAt: Date; keyId: string },
): CheckpointBody {
  return checkpointBodySchema.parse({
    format: CHECKPOINT_FORMAT,
    logId: head.logId,
    number: previous === undefined ? 0 : previous.number + 1,
    treeSize: head.treeSize,
    rootHash: head.rootHash.toString('hex'),
    previousHash: previous === undefined ? null : checkpointHash(previous).toString('hex'),
    issuedAt: head.issuedAt.toISOString(),
    keyId: head.keyId,
  });
}

export async function signCheckpoint(body: CheckpointBody, signer: CheckpointSigner): Promise<SignedCheckpoint> {
  const signature = await signer.sign(checkpointBytes(body));
  return { body, signature: signature.toString('base64') };
}

/**
 * Whether the signature is the public key's over the body. A malformed signature is not valid (false); a public
 * key that is not a P-256 key in PEM throws, as that is the caller's mistake rather than evidence.
 */
export function verifyCheckpointSignature(signed: SignedCheckpoint, publicKeyPem: string): boolean {
  const key = p256PublicKey(publicKeyPem);
  try {
    const signature = Buffer.from(signed.signature, 'base64');
    return verify('sha256', checkpointBytes(signed.body), { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/**
 * The first 16 hex characters of SHA-256 of the key's DER SubjectPublicKeyInfo: names a public key in keyIds
 * (`local:…`, `kms:…`), so that a verifier holding several keys (after a rotation) can tell which one signed.
 */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = p256PublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function p256PublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error('the checkpoint public key must be an ECDSA P-256 (prime256v1) key');
  return key;
}
