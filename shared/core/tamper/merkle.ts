/**
 * The log's Merkle tree, RFC 6962 / RFC 9162 §2.1: hashing (tree-hash.ts), the appender's frontier
 * (compact-range.ts), proofs from the node store and their verification (merkle-proof.ts). One module to import.
 */
export { CompactRange, type StoredNode } from './compact-range.ts';
export {
  consistencyProof,
  inclusionProof,
  type NodeReader,
  subtreeHash,
  TILE_LEVELS,
  verifyConsistency,
  verifyInclusion,
} from './merkle-proof.ts';
export { EMPTY_ROOT, HASH_BYTES, hashChildren, hashLeaf, rootFromLeaves, splitPoint } from './tree-hash.ts';
