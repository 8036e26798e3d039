import { z } from 'zod';
import { type StoredEvent, storedEventSchema } from '../domain/event.ts';
import {
  type SignedCheckpoint,
  sha256HexSchema,
  signedCheckpointSchema,
  verifyCheckpointSignature,
} from './checkpoint.ts';
import { leafHash } from './leaf.ts';
import { inclusionProof, type NodeReader, verifyInclusion } from './merkle-proof.ts';

/**
 * A proof that one event is in the log: the event, where its leaf is, the audit path to the root of a signed
 * checkpoint. It stands alone: an auditor with the log's public key checks it offline (`trail verify-proof`).
 */
export const PROOF_FORMAT = 'fleet-audit-trail/proof/v1';

export const eventProofSchema = z.strictObject({
  format: z.literal(PROOF_FORMAT),
  /** The event in the API's JSON form; its leaf is recomputed from it. */
  event: storedEventSchema,
  leafIndex: z.int().nonnegative(),
  treeSize: z.int().positive(),
  /** The leaf hash the log stored for leafIndex (hex). */
  leafHash: sha256HexSchema,
  /** Sibling subtree roots from the leaf up (RFC 6962 PATH), hex. */
  auditPath: z.array(sha256HexSchema).max(64),
  checkpoint: signedCheckpointSchema,
});
export type EventProof = z.infer<typeof eventProofSchema>;

export type ProofVerdict = { ok: true } | { ok: false; reason: string };

/**
 * The proof of `event`, stored at `leafIndex`, against `checkpoint`. The leaf hash is the one the store holds, not
 * one recomputed here: an event changed after it was sealed then gets a proof that says so.
 */
export async function proveEvent(
  reader: NodeReader,
  event: StoredEvent,
  leafIndex: number,
  checkpoint: SignedCheckpoint,
): Promise<EventProof> {
  const { treeSize } = checkpoint.body;
  const [[stored], path] = await Promise.all([
    reader.leaves(leafIndex, leafIndex + 1),
    inclusionProof(reader, leafIndex, treeSize),
  ]);
  return {
    format: PROOF_FORMAT,
    event,
    leafIndex,
    treeSize,
    leafHash: stored!.toString('hex'),
    auditPath: path.map((hash) => hash.toString('hex')),
    checkpoint,
  };
}

/** Checks a proof from the event up: its leaf, the path to the checkpoint's root, the checkpoint's signature. */
export function verifyEventProof(proof: EventProof, publicKeyPem: string): ProofVerdict {
  const { body } = proof.checkpoint;
  if (body.treeSize !== proof.treeSize)
    return fail(`checkpoint is for tree size ${body.treeSize}, proof for ${proof.treeSize}`);
  const leaf = leafHash(proof.event);
  if (leaf.toString('hex') !== proof.leafHash) return fail('leaf does not match the event');
  const path = proof.auditPath.map((hex) => Buffer.from(hex, 'hex'));
  if (!verifyInclusion(leaf, proof.leafIndex, proof.treeSize, path, Buffer.from(body.rootHash, 'hex')))
    return fail("path does not lead to the checkpoint's root");
  if (!verifyCheckpointSignature(proof.checkpoint, publicKeyPem))
    return fail('signature is not valid for this public key');
  return { ok: true };
}

const fail = (reason: string): ProofVerdict => ({ ok: false, reason });
