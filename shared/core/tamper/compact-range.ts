import { EMPTY_ROOT, HASH_BYTES, hashChildren } from './tree-hash.ts';

/** A node of the tree: the root of the perfect subtree of 2^level leaves starting at leaf index × 2^level. */
export interface StoredNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * The right edge of the tree (a "frontier"): the roots of its perfect subtrees, largest first, one per bit set in
 * the size. That is all an appender needs to keep: 53 hashes at most, whatever the size. Sizes and indexes are
 * safe integers, handled with arithmetic: the 32-bit bitwise operators would break past 2^31 leaves.
 */
export class CompactRange {
  #size = 0;
  #hashes: Buffer[] = [];

  /** Resumes from a size and its frontier as `hashes` returned it (e.g. stored with a checkpoint). */
  static from(size: number, hashes: readonly Buffer[]): CompactRange {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`tree size ${size} is not a whole number ≥ 0`);
    if (hashes.length !== bitCount(size))
      throw new RangeError(`a tree of ${size} leaves has ${bitCount(size)} frontier hashes, not ${hashes.length}`);
    for (const hash of hashes)
      if (hash.length !== HASH_BYTES) throw new RangeError(`a frontier hash has ${hash.length} bytes, not 32`);
    const range = new CompactRange();
    range.#size = size;
    range.#hashes = hashes.map((hash) => Buffer.from(hash));
    return range;
  }

  get size(): number {
    return this.#size;
  }

  /** A copy: the caller may keep it (and store it) while this range goes on growing. */
  get hashes(): Buffer[] {
    return this.#hashes.map((hash) => Buffer.from(hash));
  }

  /**
   * Appends one leaf hash and returns every node it completes, lowest first: the leaf itself (level 0, index = its
   * sequence number), then each perfect subtree it closes. A store keeps the ones it wants (levels that are
   * multiples of TILE_LEVELS) and can serve proofs without recomputing them.
   */
  append(leafHash: Buffer): StoredNode[] {
    if (leafHash.length !== HASH_BYTES) throw new RangeError(`a leaf hash has ${leafHash.length} bytes, not 32`);
    const completed: StoredNode[] = [{ level: 0, index: this.#size, hash: leafHash }];
    let hash = leafHash;
    // The node's index at its level is the old size shifted right by the level. While it is odd, the node is a
    // right child whose left sibling is the frontier's last hash, a subtree of the same height: merge them.
    for (let index = this.#size; index % 2 === 1; ) {
      hash = hashChildren(this.#hashes.pop()!, hash);
      index = (index - 1) / 2;
      completed.push({ level: completed.length, index, hash });
    }
    this.#hashes.push(hash);
    this.#size++;
    return completed;
  }

  /** MTH of all the leaves appended: the frontier folded from the right (the smallest subtree is the rightmost). */
  root(): Buffer {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let root = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) root = hashChildren(this.#hashes[i]!, root);
    return root;
  }
}

function bitCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}
