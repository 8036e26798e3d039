import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../shared/core/tamper/canonical-json.ts';
import {
  type CheckpointBody,
  checkpointBodySchema,
  checkpointBytes,
  checkpointHash,
  nextCheckpointBody,
  publicKeyFingerprint,
  signCheckpoint,
  verifyCheckpointSignature,
} from '../../shared/core/tamper/checkpoint.ts';
import { EMPTY_ROOT, hashLeaf } from '../../shared/core/tamper/merkle.ts';
import { testSigner } from '../support/test-signer.ts';

const head = (treeSize: number) => ({
  logId: 'fleet-audit-trail',
  treeSize,
  rootHash: treeSize === 0 ? EMPTY_ROOT : hashLeaf(Buffer.from(`root ${treeSize}`)),
  issuedAt: new Date('2026-05-10T12:00:00.000Z'),
  keyId: 'local:0123456789abcdef',
});

describe('checkpoint bodies', () => {
  const first = nextCheckpointBody(undefined, head(0));
  const second = nextCheckpointBody(first, head(3));

  it('are numbered from 0 and chained by the SHA-256 of the previous body’s canonical bytes', () => {
    expect(first).toMatchObject({ format: 'fleet-audit-trail/checkpoint/v1', number: 0, previousHash: null });
    expect(second.number).toBe(1);
    expect(second.previousHash).toBe(checkpointHash(first).toString('hex'));
    expect(checkpointBytes(second).toString()).toBe(canonicalize(second));
  });

  it('have one byte form whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(second).reverse()) as CheckpointBody;
    expect(checkpointBytes(reordered)).toEqual(checkpointBytes(second));
  });

  it.each<[string, Record<string, unknown>]>([
    ['a previousHash on checkpoint 0', { ...first, previousHash: second.previousHash }],
    ['no previousHash after checkpoint 0', { ...second, previousHash: null }],
    ['an upper-case root', { ...second, rootHash: second.rootHash.toUpperCase() }],
    ['a short root', { ...second, rootHash: second.rootHash.slice(2) }],
    ['an instant without milliseconds', { ...second, issuedAt: '2026-05-10T12:00:00Z' }],
    ['a negative tree size', { ...second, treeSize: -1 }],
    ['a fractional number', { ...second, number: 1.5 }],
    ['another format', { ...second, format: 'fleet-audit-trail/checkpoint/v2' }],
    ['a field more', { ...second, note: 'x' }],
  ])('refuse %s', (_, body) => {
    expect(checkpointBodySchema.safeParse(body).success).toBe(false);
  });
});

describe('checkpoint signatures', () => {
  const signer = testSigner();
  const body = nextCheckpointBody(undefined, { ...head(0), keyId: signer.keyId });

  it('verify with the signer’s public key, over the exact body', async () => {
    const signed = await signCheckpoint(body, signer);
    expect(verifyCheckpointSignature(signed, signer.pem)).toBe(true);
    expect(verifyCheckpointSignature({ ...signed, body: { ...body, treeSize: 1 } }, signer.pem)).toBe(false);
    expect(
      verifyCheckpointSignature({ ...signed, body: { ...body, issuedAt: '2026-05-10T12:00:00.001Z' } }, signer.pem),
    ).toBe(false);
  });

  it('do not verify with another key, nor when the signature is damaged or not DER', async () => {
    const signed = await signCheckpoint(body, signer);
    expect(verifyCheckpointSignature(signed, testSigner().pem)).toBe(false);
    const der = Buffer.from(signed.signature, 'base64');
    der[der.length - 1] = der[der.length - 1]! ^ 0x01;
    expect(verifyCheckpointSignature({ ...signed, signature: der.toString('base64') }, signer.pem)).toBe(false);
    expect(verifyCheckpointSignature({ ...signed, signature: 'AAAA' }, signer.pem)).toBe(false);
  });

  it('refuse a public key that is not P-256, as a mistake rather than a bad signature', async () => {
    const signed = await signCheckpoint(body, signer);
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => verifyCheckpointSignature(signed, ed25519)).toThrow('must be an ECDSA P-256 (prime256v1) key');
    expect(() => verifyCheckpointSignature(signed, 'not a key')).toThrow();
  });

  it('name their key by the first 16 hex of SHA-256 over its DER SubjectPublicKeyInfo', () => {
    expect(publicKeyFingerprint(signer.pem)).toMatch(/^[0-9a-f]{16}$/);
    expect(publicKeyFingerprint(signer.pem)).toBe(publicKeyFingerprint(signer.pem));
    expect(publicKeyFingerprint(testSigner().pem)).not.toBe(publicKeyFingerprint(signer.pem));
  });
});
