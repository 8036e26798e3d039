import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { storedEventSchema } from '../../shared/core/domain/event.ts';
import {
  checkpointBodySchema,
  checkpointBytes,
  checkpointHash,
  publicKeyFingerprint,
  verifyCheckpointSignature,
} from '../../shared/core/tamper/checkpoint.ts';
import { LEAF_VERSION_TAG, leafBytes, leafHash } from '../../shared/core/tamper/leaf.ts';
import { hashChildren, rootFromLeaves } from '../../shared/core/tamper/merkle.ts';
import { eventProofSchema, proveEvent, verifyEventProof } from '../../shared/core/tamper/proof.ts';
import { MemoryLog } from '../support/memory-log.ts';

/**
 * docs/tamper-evidence.md's worked example, read from the page itself: each `<!-- example: name -->` names the fenced
 * block under it. What the page shows is what the code computes, so an auditor reimplementing it can trust the page.
 */
const page = readFileSync(new URL('../../docs/tamper-evidence.md', import.meta.url), 'utf8');
const examples = new Map(
  [...page.matchAll(/<!-- example: ([\w-]+) -->\n```\w*\n([\s\S]*?)\n```/g)].map((m) => [m[1]!, m[2]!]),
);
const example = (name: string): string => {
  const text = examples.get(name);
  if (text === undefined) throw new Error(`docs/tamper-evidence.md has no example "${name}"`);
  return text;
};
const event = (i: number) => storedEventSchema.parse(JSON.parse(example(`event-${i}`)));
const lines = (name: string) =>
  new Map(
    example(name)
      .split('\n')
      .map((line) => line.split(/ +/) as [string, string]),
  );

describe('docs/tamper-evidence.md, worked example', () => {
  const events = [0, 1, 2].map(event);
  const leaves = events.map(leafHash);

  it('shows the leaf bytes of event 0, tag and canonical JSON, exactly', () => {
    expect(leafBytes(events[0]!).toString('utf8')).toBe(example('leaf-bytes-0'));
    expect(example('leaf-bytes-0').startsWith(LEAF_VERSION_TAG)).toBe(true);
  });

  it('shows the leaf hash of each event, and the 3-leaf tree', () => {
    const shown = lines('leaf-hashes');
    expect([...shown]).toEqual(leaves.map((leaf, i) => [String(i), leaf.toString('hex')]));
    const tree = lines('tree-3');
    expect(tree.get('node01')).toBe(hashChildren(leaves[0]!, leaves[1]!).toString('hex'));
    expect(tree.get('root')).toBe(rootFromLeaves(leaves).toString('hex'));
  });

  it('shows checkpoint 0 of that tree, its canonical bytes, its hash and the key that signed it', () => {
    const body = checkpointBodySchema.parse(JSON.parse(example('checkpoint-body')));
    expect(body.rootHash).toBe(rootFromLeaves(leaves).toString('hex'));
    expect(checkpointBytes(body).toString('utf8')).toBe(example('checkpoint-bytes'));
    expect(checkpointHash(body).toString('hex')).toBe(example('checkpoint-hash'));
    expect(body.keyId).toBe(`local:${publicKeyFingerprint(example('public-key'))}`);
  });

  it('shows a proof of event 1 that verifies with the public key shown, and is the one the code builds', async () => {
    const proof = eventProofSchema.parse(JSON.parse(example('proof-1')));
    const publicKey = `${example('public-key')}\n`;
    expect(verifyEventProof(proof, publicKey)).toEqual({ ok: true });
    expect(verifyCheckpointSignature(proof.checkpoint, publicKey)).toBe(true);
    expect(proof.checkpoint.body).toEqual(checkpointBodySchema.parse(JSON.parse(example('checkpoint-body'))));
    const log = new MemoryLog().append(...leaves);
    expect(await proveEvent(log, events[1]!, 1, proof.checkpoint)).toEqual(proof);
  });
});
