import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckpointSigner } from '../../core/ports/signer.ts';
import { publicKeyFingerprint } from '../../core/tamper/checkpoint.ts';

/**
 * The local stack's checkpoint signer: a P-256 key pair generated once into a PEM file (PKCS #8, mode 0600), its
 * public key beside it as `<name>.pub.pem` for auditors. On AWS the key lives in KMS instead (adapters/kms).
 */
export async function loadOrCreateLocalSigner(path: string): Promise<CheckpointSigner> {
  const privateKey = createPrivateKey(await readOrCreateKey(path));
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error(`${path} is not an ECDSA P-256 private key`);
  const publicKeyPem = publicPem(privateKey);
  await writePublicKey(publicKeyPath(path), publicKeyPem);
  return new LocalSigner(privateKey, publicKeyPem);
}

/** `DATA_DIR/log-signing-key.pem` → `DATA_DIR/log-signing-key.pub.pem`. */
export function publicKeyPath(path: string): string {
  return path.endsWith('.pem') ? `${path.slice(0, -'.pem'.length)}.pub.pem` : `${path}.pub.pem`;
}

class LocalSigner implements CheckpointSigner {
  readonly keyId: string;
  readonly #privateKey: KeyObject;
  readonly #publicKeyPem: string;

  constructor(privateKey: KeyObject, publicKeyPem: string) {
    this.#privateKey = privateKey;
    this.#publicKeyPem = publicKeyPem;
    this.keyId = `local:${publicKeyFingerprint(publicKeyPem)}`;
  }

  async sign(message: Buffer): Promise<Buffer> {
    return sign('sha256', message, { key: this.#privateKey, dsaEncoding: 'der' });
  }

  async publicKeyPem(): Promise<string> {
    return this.#publicKeyPem;
  }
}

async function readOrCreateKey(path: string): Promise<string> {
  const existing = await readKey(path);
  if (existing !== undefined) return existing;
  await mkdir(dirname(path), { recursive: true });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Written whole to a temporary name, then linked into place, which fails if the file exists: two processes
  // starting at once end with one key, and neither reads half a file.
  const partial = `${path}.${randomUUID()}.partial`;
  await writeFile(partial, pem, { mode: 0o600 });
  try {
    await link(partial, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(partial);
  }
  return (await readKey(path))!;
}

async function readKey(path: string): Promise<string | undefined> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return undefined;
  // A signing key others can read is not a signing key only this log holds; refuse rather than sign with it.
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0)
    throw new Error(`${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
  return readFile(path, 'utf8');
}

function publicPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

async function writePublicKey(path: string, pem: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== pem) await writeFile(path, pem, { mode: 0o644 });
}
