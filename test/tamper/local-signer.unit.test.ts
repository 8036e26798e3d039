import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateLocalSigner, publicKeyPath } from '../../shared/adapters/crypto/local-signer.ts';
import {
  nextCheckpointBody,
  publicKeyFingerprint,
  signCheckpoint,
  verifyCheckpointSignature,
} from '../../shared/core/tamper/checkpoint.ts';
import { EMPTY_ROOT } from '../../shared/core/tamper/merkle.ts';

describe('loadOrCreateLocalSigner', () => {
  let dir = '';
  let path = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-signing-key-'));
    path = join(dir, 'keys', 'log-signing-key.pem');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a P-256 key readable by the owner only, its public key beside it, and reuses both', async () => {
    const signer = await loadOrCreateLocalSigner(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const pem = await readFile(join(dir, 'keys', 'log-signing-key.pub.pem'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(await signer.publicKeyPem()).toBe(pem);
    expect(signer.keyId).toBe(`local:${publicKeyFingerprint(pem)}`);
    const again = await loadOrCreateLocalSigner(path);
    expect(again.keyId).toBe(signer.keyId);
    expect(await readdir(join(dir, 'keys'))).toEqual(['log-signing-key.pem', 'log-signing-key.pub.pem']);
  });

  it('signs checkpoints that verify with the exported public key', async () => {
    const signer = await loadOrCreateLocalSigner(path);
    const body = nextCheckpointBody(undefined, {
      logId: 'fleet-audit-trail',
      treeSize: 0,
      rootHash: EMPTY_ROOT,
      issuedAt: new Date('2026-05-10T12:00:00.000Z'),
      keyId: signer.keyId,
    });
    const signed = await signCheckpoint(body, signer);
    expect(verifyCheckpointSignature(signed, await readFile(publicKeyPath(path), 'utf8'))).toBe(true);
  });

  it('ends with one key when two processes start at once', async () => {
    const [a, b] = await Promise.all([loadOrCreateLocalSigner(path), loadOrCreateLocalSigner(path)]);
    expect(a.keyId).toBe(b.keyId);
    expect((await readdir(join(dir, 'keys'))).sort()).toEqual(['log-signing-key.pem', 'log-signing-key.pub.pem']);
  });

  it('rewrites a public key file that does not match the private key', async () => {
    const signer = await loadOrCreateLocalSigner(path);
    await writeFile(publicKeyPath(path), 'stale');
    await loadOrCreateLocalSigner(path);
    expect(await readFile(publicKeyPath(path), 'utf8')).toBe(await signer.publicKeyPem());
  });

  it('refuses a key others can read, and a key that is not P-256', async () => {
    await loadOrCreateLocalSigner(path);
    await chmod(path, 0o644);
    await expect(loadOrCreateLocalSigner(path)).rejects.toThrow(/is readable by others \(mode 644\): chmod 600 it/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    await writeFile(path, rsa, { mode: 0o600 });
    await chmod(path, 0o600);
    await expect(loadOrCreateLocalSigner(path)).rejects.toThrow('is not an ECDSA P-256 private key');
  });

  it('names the public key file after the key file', () => {
    expect(publicKeyPath('/data/log-signing-key.pem')).toBe('/data/log-signing-key.pub.pem');
    expect(publicKeyPath('/data/signing-key')).toBe('/data/signing-key.pub.pem');
  });
});
