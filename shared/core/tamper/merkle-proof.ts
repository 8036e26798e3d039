import { EMPTY_ROOT, HASH_BYTES, hashChildren, splitPoint } from './tree-hash.ts';

/**
 * Inclusion and consistency proofs (RFC 6962 §2.1.1 and §2.1.2), built from a node store, and their verification
 * (RFC 9162 §2.1.3.2 and §2.1.4.2).
 *
 * The store keeps every leaf hash and the perfect subtrees whose level is a multiple of TILE_LEVELS: one node per
 * 256 below it, so about 0.4 % more rows than leaves, and any subtree hash is at most 255 hashings of stored nodes.
 */
export const TILE_LEVELS = 8;

/** Reads the node store. Ranges are half-open, in indexes at that level; every node asked for exists. */
export interface NodeReader {
  /** Leaf hashes [from, to). */
  leaves(from: number, to: number): Promise<Buffer[]>;
  /** Perfect-subtree hashes [from, to) at `level`, a positive multiple of TILE_LEVELS. */
  nodes(level: number, from: number, to: number): Promise<Buffer[]>;
}

type Range = readonly [start: number, end: number];

/** MTH of the leaves [start, end) (RFC 6962), from the stored nodes. */
export async function subtreeHash(reader: NodeReader, start: number, end: number): Promise<Buffer> {
  assertIndex(start, 'start');
  assertIndex(end, 'end');
  if (end < start) throw new RangeError(`empty range: end ${end} is before start ${start}`);
  if (end === start) return EMPTY_ROOT;
  const n = end - start;
  if (isPowerOfTwo(n) && start % n === 0) return perfectHash(reader, Math.log2(n), start / n);
  const k = splitPoint(n);
  const [left, right] = await Promise.all([subtreeHash(reader, start, start + k), subtreeHash(reader, start + k, end)]);
  return hashChildren(left, right);
}

/** The perfect subtree at (level, index): its stored ancestor level's nodes under it, hashed up to it. */
async function perfectHash(reader: NodeReader, level: number, index: number): Promise<Buffer> {
  const stored = level - (level % TILE_LEVELS);
  const width = 2 ** (level - stored);
  const from = index * width;
  let row = stored === 0 ? await reader.leaves(from, from + width) : await reader.nodes(stored, from, from + width);
  if (row.length !== width)
    throw new Error(`the node store returned ${row.length} hashes at level ${stored} from ${from}, not ${width}`);
  while (row.length > 1) {
    const parents: Buffer[] = [];
    for (let i = 0; i < row.length; i += 2) parents.push(hashChildren(row[i]!, row[i + 1]!));
    row = parents;
  }
  return row[0]!;
}

/** PATH(index, D[treeSize]) of RFC 6962 §2.1.1: the audit path of a leaf, nearest sibling first. */
export async function inclusionProof(reader: NodeReader, index: number, treeSize: number): Promise<Buffer[]> {
  assertIndex(index, 'leaf index');
  assertIndex(treeSize, 'tree size');
  if (index >= treeSize) throw new RangeError(`leaf ${index} is not in a tree of ${treeSize} leaves`);
  return Promise.all(inclusionRanges(index, 0, treeSize).map(([start, end]) => subtreeHash(reader, start, end)));
}

/** The leaf ranges whose roots make up PATH(m, D[start:end]), in proof order. */
function inclusionRanges(m: number, start: number, end: number): Range[] {
  if (end - start === 1) return [];
  const k = start + splitPoint(end - start);
  return m < k ? [...inclusionRanges(m, start, k), [k, end]] : [...inclusionRanges(m, k, end), [start, k]];
}

/**
 * PROOF(m, D[n]) of RFC 6962 §2.1.2: what shows the tree of the first m leaves is a prefix of the tree of n leaves.
 * Empty when m is 0 (the empty tree is a prefix of every tree) or m = n.
 */
export async function consistencyProof(reader: NodeReader, m: number, n: number): Promise<Buffer[]> {
  assertIndex(m, 'first size');
  assertIndex(n, 'second size');
  if (m > n) throw new RangeError(`a tree of ${m} leaves cannot be a prefix of a tree of ${n}`);
  if (m === 0 || m === n) return [];
  return Promise.all(consistencyRanges(m, 0, n, true).map(([start, end]) => subtreeHash(reader, start, end)));
}

/** SUBPROOF(m, D[start:end], whole) as leaf ranges; `whole`: the first m leaves are the tree the verifier holds. */
function consistencyRanges(m: number, start: number, end: number, whole: boolean): Range[] {
  if (m === end - start) return whole ? [] : [[start, end]];
  const k = splitPoint(end - start);
  return m <= k
    ? [...consistencyRanges(m, start, start + k, whole), [start + k, end]]
    : [...consistencyRanges(m - k, start + k, end, false), [start, start + k]];
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` leads from the leaf hash at `index` to `root` in a tree of `treeSize` leaves.
 * fn walks the leaf's position up the tree and sn the last leaf's: where they meet, the path turns left.
 */
export function verifyInclusion(
  leafHash: Buffer,
  index: number,
  treeSize: number,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (!isIndex(index) || !isIndex(treeSize) || index >= treeSize) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      // A right edge with no sibling: climb until this node is a right child again (or the top of the path).
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      r = hashChildren(r, p);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows the tree of m leaves with root `rootM` is a prefix of the tree of n
 * leaves with root `rootN`. Defined for every 0 ≤ m ≤ n, so that each checkpoint can be checked against the one
 * before, whatever their sizes: m = n needs an empty proof and equal roots; m = 0 an empty proof and the empty root
 * as rootM (every tree extends the empty tree; RFC 9162 does not define a proof from 0, and some libraries refuse it).
 */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Buffer,
  rootN: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (!isIndex(m) || !isIndex(n) || m > n) return false;
  if (!isHash(rootM) || !isHash(rootN) || !proof.every(isHash)) return false;
  if (m === 0) return proof.length === 0 && rootM.equals(EMPTY_ROOT) && (n > 0 || rootN.equals(EMPTY_ROOT));
  if (m === n) return proof.length === 0 && rootM.equals(rootN);
  if (proof.length === 0) return false;
  // A first tree that is a perfect subtree is its own first node, which the proof leaves out.
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) [fn, sn] = [(fn - 1) / 2, Math.floor(sn / 2)];
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      sr = hashChildren(sr, c);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 && fr.equals(rootM) && sr.equals(rootN);
}

const isIndex = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isHash = (hash: Buffer) => Buffer.isBuffer(hash) && hash.length === HASH_BYTES;
const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

function assertIndex(n: number, what: string): void {
  if (!isIndex(n)) throw new RangeError(`${what} ${n} is not a whole number ≥ 0`);
}
