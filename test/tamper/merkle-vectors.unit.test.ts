import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
} from '../../shared/core/tamper/merkle.ts';
import { MemoryLog } from '../support/memory-log.ts';

/**
 * Known answers from the Certificate Transparency test data, as github.com/transparency-dev/merkle publishes it
 * (rfc6962/rfc6962_test.go, testonly/constants.go, and the testdata probes copied into test/fixtures).
 */
const hex = (text: string) => Buffer.from(text, 'hex');
const b64 = (text: string) => Buffer.from(text, 'base64');

/** The eight leaf inputs of the RFC 6962 test tree. */
const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
/** Its root for every size from 0 to 8. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** Its perfect-subtree hashes at levels 1 and 2. */
const LEVEL_1 = [
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
];
const LEVEL_2 = [
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];

interface InclusionProbe {
  file: string;
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}
interface ConsistencyProbe {
  file: string;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}
const probes = JSON.parse(readFileSync(new URL('../fixtures/merkle-probes.json', import.meta.url), 'utf8')) as {
  inclusion: InclusionProbe[];
  consistency: ConsistencyProbe[];
};
const proofOf = (probe: { proof: string[] | null }) => (probe.proof ?? []).map(b64);

const leafHashes = LEAF_INPUTS.map((input) => hashLeaf(hex(input)));

describe('RFC 6962 hashing', () => {
  it('hashes the empty tree, leaves and nodes as the CT test data says', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
    expect(hashLeaf(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hashLeaf(Buffer.from('L123456')).toString('hex')).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(hashChildren(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('gives the published root for every size of the eight-leaf test tree, directly and incrementally', () => {
    const range = new CompactRange();
    expect(range.root().toString('hex')).toBe(ROOTS[0]);
    leafHashes.forEach((leaf, i) => {
      range.append(leaf);
      expect(range.root().toString('hex')).toBe(ROOTS[i + 1]);
      expect(rootFromLeaves(leafHashes.slice(0, i + 1)).toString('hex')).toBe(ROOTS[i + 1]);
    });
  });

  it('returns the completed subtrees the test data lists, and a frontier of one hash per bit of the size', () => {
    const range = new CompactRange();
    const completed = leafHashes.flatMap((leaf) => range.append(leaf)).filter((node) => node.level > 0);
    expect(completed.map(({ level, index, hash }) => [level, index, hash.toString('hex')])).toEqual([
      [1, 0, LEVEL_1[0]],
      [1, 1, LEVEL_1[1]],
      [2, 0, LEVEL_2[0]],
      [1, 2, LEVEL_1[2]],
      [1, 3, LEVEL_1[3]],
      [2, 1, LEVEL_2[1]],
      [3, 0, ROOTS[8]],
    ]);
    const seven = CompactRange.from(7, [hex(LEVEL_2[0]!), hex(LEVEL_1[2]!), leafHashes[6]!]);
    expect(seven.root().toString('hex')).toBe(ROOTS[7]);
  });
});

describe('proofs against the published probes', () => {
  const log = new MemoryLog().append(...leafHashes);

  it.each(probes.inclusion.filter((probe) => probe.file.endsWith('/happy-path.json')))(
    'builds the proof of $file (leaf $leafIdx of $treeSize) from the stored nodes',
    async (probe) => {
      expect(b64(probe.leafHash)).toEqual(leafHashes[probe.leafIdx]);
      expect(b64(probe.root).toString('hex')).toBe(ROOTS[probe.treeSize]);
      expect(await inclusionProof(log, probe.leafIdx, probe.treeSize)).toEqual(proofOf(probe));
    },
  );

  it.each(probes.consistency.filter((probe) => probe.file.endsWith('/happy-path.json')))(
    'builds the consistency proof of $file ($size1 → $size2) from the stored nodes',
    async (probe) => {
      expect(await consistencyProof(log, probe.size1, probe.size2)).toEqual(proofOf(probe));
    },
  );

  it.each(probes.inclusion)('verifies $file as the probe expects (wantErr $wantErr)', (probe) => {
    const verified = verifyInclusion(
      b64(probe.leafHash),
      probe.leafIdx,
      probe.treeSize,
      proofOf(probe),
      b64(probe.root),
    );
    expect(verified).toBe(!probe.wantErr);
  });

  // The one probe decided otherwise: its roots are 12-byte strings, which verifyConsistency refuses as no hash.
  const STRICTER = 'consistency/additional/sizes-are-equal-one-and-proof-is-empty.json';

  it.each(probes.consistency.filter((probe) => probe.file !== STRICTER))(
    'verifies $file as the probe expects (wantErr $wantErr)',
    (probe) => {
      const verified = verifyConsistency(probe.size1, probe.size2, b64(probe.root1), b64(probe.root2), proofOf(probe));
      expect(verified).toBe(!probe.wantErr);
    },
  );

  it('refuses roots that are not 32-byte hashes even where sizes and proof agree (the probe accepts them)', () => {
    const probe = probes.consistency.find((p) => p.file === STRICTER)!;
    expect(b64(probe.root1)).toHaveLength(12);
    expect(verifyConsistency(1, 1, b64(probe.root1), b64(probe.root2), [])).toBe(false);
    expect(verifyConsistency(1, 1, hex(ROOTS[1]!), hex(ROOTS[1]!), [])).toBe(true);
  });

  it('treats the empty tree as a prefix of every tree, with an empty proof and the empty root only', () => {
    expect(verifyConsistency(0, 8, EMPTY_ROOT, hex(ROOTS[8]!), [])).toBe(true);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 8, hex(ROOTS[1]!), hex(ROOTS[8]!), [])).toBe(false);
    expect(verifyConsistency(0, 8, EMPTY_ROOT, hex(ROOTS[8]!), [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, hex(ROOTS[1]!), [])).toBe(false);
  });
});
