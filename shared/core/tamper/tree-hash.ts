import * as crypto from 'node:crypto';

const { createHash } = crypto;
/** Absent before Node 20.12 (a named import of it would not even load there). */
const oneShotHash: typeof crypto.hash | undefined = crypto.hash;

/**
 * The hashing of the log's Merkle tree: RFC 6962 §2.1 (as RFC 9162 §2.1 restates it), so that any Certificate
 * Transparency library, or a few lines in another language, computes the same roots and checks the same proofs.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256 of the empty string: the root of the tree of no leaves (MTH({}) in RFC 6962). */
export const EMPTY_ROOT = createHash('sha256').digest();
/** Bytes in a hash. */
export const HASH_BYTES = 32;

/**
 * SHA-256(0x00 || data): the 0x00 keeps a leaf from ever hashing like an inner node (second preimages). The data may
 * come in parts (a string as its UTF-8), hashed as their concatenation without building it.
 */
export function hashLeaf(...data: (Buffer | string)[]): Buffer {
  const hash = createHash('sha256').update(LEAF_PREFIX);
  for (const part of data) hash.update(part);
  return hash.digest();
}

/**
 * hashLeaf of a string's UTF-8, in one call: crypto.hash (Node ≥ 20.12) hashes a short input without making a Hash
 * object, which the sealer and the verifier would otherwise make, update and digest once per event.
 */
export function hashLeafText(text: string): Buffer {
  return oneShotHash === undefined ? hashLeaf(text) : oneShotHash('sha256', `\u0000${text}`, 'buffer');
}

/** SHA-256(0x01 || left || right). */
export function hashChildren(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The largest power of two smaller than n (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of RFC 6962 over the leaf hashes, computed directly: the reference the incremental code is checked against. */
export function rootFromLeaves(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  return mth(leafHashes, 0, leafHashes.length);
}

function mth(leaves: readonly Buffer[], start: number, end: number): Buffer {
  if (end - start === 1) return leaves[start]!;
  const k = splitPoint(end - start);
  return hashChildren(mth(leaves, start, start + k), mth(leaves, start + k, end));
}
