import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { nextCheckpointBody, type SignedCheckpoint, signCheckpoint } from '../../shared/core/tamper/checkpoint.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { type EventProof, eventProofSchema, proveEvent, verifyEventProof } from '../../shared/core/tamper/proof.ts';
import { eventAbout } from '../support/events.ts';
import { MemoryLog } from '../support/memory-log.ts';
import { testSigner } from '../support/test-signer.ts';

// 300 events: a level-8 node stored, and leaves on both sides of it.
const events: StoredEvent[] = Array.from({ length: 300 }, (_, i) =>
  eventAbout(`robot:r-${i % 7}`, { payload: { reading: i, unit: 'mm' } }),
);
const log = new MemoryLog().append(...events.map(leafHash));
const signer = testSigner();
let checkpoint: SignedCheckpoint;

beforeAll(async () => {
  const body = nextCheckpointBody(undefined, {
    logId: 'fleet-audit-trail',
    treeSize: log.size,
    rootHash: log.range.root(),
    issuedAt: new Date('2026-05-10T12:01:00.000Z'),
    keyId: signer.keyId,
  });
  checkpoint = await signCheckpoint(body, signer);
});

/** The proof as an auditor receives it: JSON text, parsed back with the schema. */
async function proofFile(index: number, event = events[index]!): Promise<EventProof> {
  const proof = await proveEvent(log, event, index, checkpoint);
  return eventProofSchema.parse(JSON.parse(JSON.stringify(proof)));
}

describe('event proofs', () => {
  it.each([0, 1, 255, 256, 299])(
    'prove event %i against the signed checkpoint, offline, from its JSON file',
    async (i) => {
      const proof = await proofFile(i);
      expect(proof).toMatchObject({ format: 'fleet-audit-trail/proof/v1', leafIndex: i, treeSize: 300 });
      expect(proof.auditPath.length).toBeGreaterThan(0);
      expect(verifyEventProof(proof, signer.pem)).toEqual({ ok: true });
    },
  );

  it('say the leaf does not match when the event was changed (in the file or in the store after sealing)', async () => {
    const proof = await proofFile(7);
    const edited = { ...proof, event: { ...proof.event, payload: { reading: 8, unit: 'mm' } } };
    expect(verifyEventProof(edited, signer.pem)).toEqual({ ok: false, reason: 'leaf does not match the event' });
    const changedInStore = await proofFile(7, { ...events[7]!, severity: 'CRITICAL' });
    expect(verifyEventProof(changedInStore, signer.pem)).toEqual({
      ok: false,
      reason: 'leaf does not match the event',
    });
  });

  it('say the path does not lead to the root when a path hash, the index or the root is wrong', async () => {
    const proof = await proofFile(42);
    const reason = "path does not lead to the checkpoint's root";
    const path = [...proof.auditPath];
    path[2] = path[2]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(verifyEventProof({ ...proof, auditPath: path }, signer.pem)).toEqual({ ok: false, reason });
    expect(verifyEventProof({ ...proof, leafIndex: 43 }, signer.pem)).toEqual({ ok: false, reason });
    expect(verifyEventProof({ ...proof, auditPath: proof.auditPath.slice(1) }, signer.pem)).toEqual({
      ok: false,
      reason,
    });
    const otherRoot = { ...proof.checkpoint, body: { ...proof.checkpoint.body, rootHash: proof.leafHash } };
    expect(verifyEventProof({ ...proof, checkpoint: otherRoot }, signer.pem)).toEqual({ ok: false, reason });
  });

  it('say the checkpoint is for another tree size when the sizes differ', async () => {
    const proof = await proofFile(3);
    expect(verifyEventProof({ ...proof, treeSize: 299 }, signer.pem)).toEqual({
      ok: false,
      reason: 'checkpoint is for tree size 300, proof for 299',
    });
  });

  it('say the signature is not valid for a forged checkpoint (an event rewritten, the tree rebuilt) or another key', async () => {
    const forgedEvents = events.map((event, i) => (i === 5 ? { ...event, payload: { reading: -1 } } : event));
    const forgedLog = new MemoryLog().append(...forgedEvents.map(leafHash));
    const forgedBody = { ...checkpoint.body, rootHash: forgedLog.range.root().toString('hex') };
    const forged = await proveEvent(forgedLog, forgedEvents[5]!, 5, { ...checkpoint, body: forgedBody });
    const reason = 'signature is not valid for this public key';
    expect(verifyEventProof(forged, signer.pem)).toEqual({ ok: false, reason });
    expect(verifyEventProof(await proofFile(5), testSigner().pem)).toEqual({ ok: false, reason });
  });

  it('are refused by the schema when not in the proof format', async () => {
    const proof = await proofFile(1);
    expect(eventProofSchema.safeParse({ ...proof, format: 'other' }).success).toBe(false);
    expect(eventProofSchema.safeParse({ ...proof, auditPath: ['zz'] }).success).toBe(false);
    expect(eventProofSchema.safeParse({ ...proof, checkpoint: { ...proof.checkpoint, signature: '%%' } }).success).toBe(
      false,
    );
  });
});
