import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  rootFromLeaves,
  subtreeHash,
  TILE_LEVELS,
  verifyConsistency,
  verifyInclusion,
} from '../../shared/core/tamper/merkle.ts';
import { MemoryLog } from '../support/memory-log.ts';

/** Past 256 leaves (the first level-8 node) and across several of them. */
const SIZE = 3000;
const leaf = (i: number) => createHash('sha256').update(`leaf ${i}`).digest();
const leaves = Array.from({ length: SIZE }, (_, i) => leaf(i));

// One log for every property, with the root and frontier at each size along the way.
const log = new MemoryLog();
const roots: Buffer[] = [log.range.root()];
const frontiers: Buffer[][] = [log.range.hashes];
for (const hash of leaves) {
  log.append(hash);
  roots.push(log.range.root());
  frontiers.push(log.range.hashes);
}

const flipped = (proof: Buffer[], at: number, byte: number): Buffer[] =>
  proof.map((hash, i) => {
    if (i !== at) return hash;
    const copy = Buffer.from(hash);
    copy[byte] = copy[byte]! ^ 0x01;
    return copy;
  });

/** A tree size from 1 to SIZE and an index in it. */
const sizeAndIndex = fc
  .integer({ min: 1, max: SIZE })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
/** 1 ≤ m ≤ n ≤ SIZE. */
const twoSizes = fc
  .integer({ min: 1, max: SIZE })
  .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));

describe('CompactRange', () => {
  it('has the root of rootFromLeaves for every prefix up to 600 leaves, and for random prefixes up to 3000', () => {
    for (let size = 0; size <= 600; size++) expect(roots[size]).toEqual(rootFromLeaves(leaves.slice(0, size)));
    fc.assert(
      fc.property(fc.integer({ min: 601, max: SIZE }), (size) => {
        expect(roots[size]).toEqual(rootFromLeaves(leaves.slice(0, size)));
      }),
      { numRuns: 30 },
    );
  });

  it('returns each completed perfect subtree once, with the hash of the leaves under it', () => {
    const range = new CompactRange();
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++)
      for (const { level, index, hash } of range.append(leaves[i]!)) {
        const width = 2 ** level;
        expect(index * width + width - 1).toBe(i);
        expect(hash).toEqual(rootFromLeaves(leaves.slice(index * width, (index + 1) * width)));
        expect(seen.has(`${level}/${index}`)).toBe(false);
        seen.add(`${level}/${index}`);
      }
    // Every perfect subtree of a 600-leaf tree: 600 + 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1.
    expect(seen.size).toBe(1196);
  });

  it('resumes from a size and its frontier: the same nodes and roots as if it had never stopped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 1, max: 400 }), (from, count) => {
        const to = Math.min(SIZE, from + count);
        const resumed = CompactRange.from(from, frontiers[from]!);
        const original = CompactRange.from(from, frontiers[from]!);
        for (let i = from; i < to; i++) {
          expect(resumed.append(leaves[i]!)).toEqual(original.append(leaves[i]!));
          expect(resumed.root()).toEqual(roots[i + 1]);
        }
        expect(resumed.size).toBe(to);
        expect(resumed.hashes).toEqual(frontiers[to]);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps its frontier private: changing what hashes returned changes nothing', () => {
    const range = CompactRange.from(5, frontiers[5]!);
    range.hashes[0]!.fill(0);
    range.hashes.pop();
    expect(range.root()).toEqual(roots[5]);
  });

  it('refuses a frontier that does not fit the size', () => {
    expect(() => CompactRange.from(5, frontiers[4]!)).toThrow('a tree of 5 leaves has 2 frontier hashes, not 1');
    expect(() => CompactRange.from(1, [Buffer.alloc(31)])).toThrow('a frontier hash has 31 bytes, not 32');
    expect(() => CompactRange.from(-1, [])).toThrow(RangeError);
    expect(() => new CompactRange().append(Buffer.alloc(33))).toThrow('a leaf hash has 33 bytes, not 32');
  });
});

describe('the node store', () => {
  it('holds every leaf and one node per 256 below it at levels 8, 16, …', () => {
    expect(log.size).toBe(SIZE);
    expect(log.storedNodes).toBe(Math.floor(SIZE / 256));
    expect(TILE_LEVELS).toBe(8);
  });

  it('gives the MTH of any leaf range', async () => {
    await fc.assert(
      fc.asyncProperty(twoSizes, async ([a, b]) => {
        const [start, end] = [a - 1, b];
        expect(await subtreeHash(log, start, end)).toEqual(rootFromLeaves(leaves.slice(start, end)));
      }),
      { numRuns: 60 },
    );
  });
});

describe('inclusion proofs', () => {
  it('verify for every leaf of random trees up to 3000 leaves; a flipped byte, another index or leaf fail', async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, fc.nat(), fc.nat(31), async ([size, index], pick, byte) => {
        const proof = await inclusionProof(log, index, size);
        expect(verifyInclusion(leaves[index]!, index, size, proof, roots[size]!)).toBe(true);
        if (proof.length > 0)
          expect(
            verifyInclusion(leaves[index]!, index, size, flipped(proof, pick % proof.length, byte), roots[size]!),
          ).toBe(false);
        if (size > 1) {
          const other = (index + 1 + (pick % (size - 1))) % size;
          expect(verifyInclusion(leaves[index]!, other, size, proof, roots[size]!)).toBe(false);
          expect(verifyInclusion(leaves[other]!, index, size, proof, roots[size]!)).toBe(false);
        }
        if (proof.length > 0)
          expect(verifyInclusion(leaves[index]!, index, size, proof.slice(1), roots[size]!)).toBe(false);
        expect(verifyInclusion(leaves[index]!, index, size, [...proof, leaves[0]!], roots[size]!)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('verify at the tile edges: the first and last leaf of trees of 255, 256, 257, 511, 512, 513 and 2560 leaves', async () => {
    for (const size of [255, 256, 257, 511, 512, 513, 2560])
      for (const index of [0, 255, 256, size - 1].filter((i) => i < size)) {
        const proof = await inclusionProof(log, index, size);
        expect(verifyInclusion(leaves[index]!, index, size, proof, roots[size]!)).toBe(true);
      }
  });

  it('refuses an index outside the tree', async () => {
    await expect(inclusionProof(log, 5, 5)).rejects.toThrow('leaf 5 is not in a tree of 5 leaves');
    expect(verifyInclusion(leaves[5]!, 5, 5, [], roots[5]!)).toBe(false);
  });
});

describe('consistency proofs', () => {
  it('verify between random sizes m ≤ n; a flipped byte, a wrong root or a truncated proof fail', async () => {
    await fc.assert(
      fc.asyncProperty(twoSizes, fc.nat(), fc.nat(31), async ([m, n], pick, byte) => {
        const proof = await consistencyProof(log, m, n);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof)).toBe(true);
        if (m === n) return;
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, flipped(proof, pick % proof.length, byte))).toBe(false);
        expect(verifyConsistency(m, n, roots[m - 1]!, roots[n]!, proof)).toBe(false);
        expect(verifyConsistency(m, n, roots[m]!, roots[n - 1]!, proof)).toBe(false);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('is empty from the empty tree and between equal sizes', async () => {
    expect(await consistencyProof(log, 0, 100)).toEqual([]);
    expect(await consistencyProof(log, 100, 100)).toEqual([]);
    await expect(consistencyProof(log, 101, 100)).rejects.toThrow(RangeError);
  });
});

describe('a log past level 16', () => {
  it('stores a level-16 node at 65,536 leaves and proves leaves under and beside it in a few hundred reads', async () => {
    const big = new MemoryLog();
    const bigLeaves = Array.from({ length: 66_000 }, (_, i) => leaf(i));
    big.append(...bigLeaves);
    expect(big.storedNodes).toBe(Math.floor(66_000 / 256) + 1);
    const root = big.range.root();
    for (const index of [0, 12_345, 65_535, 65_536, 65_999]) {
      big.served = 0;
      const proof = await inclusionProof(big, index, 66_000);
      expect(verifyInclusion(bigLeaves[index]!, index, 66_000, proof, root)).toBe(true);
      expect(big.served).toBeLessThan(1_500);
    }
    const proof = await consistencyProof(big, 65_536, 66_000);
    expect(verifyConsistency(65_536, 66_000, rootFromLeaves(bigLeaves.slice(0, 65_536)), root, proof)).toBe(true);
  });
});
