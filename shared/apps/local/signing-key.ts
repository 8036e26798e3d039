import { join } from 'node:path';
import { publicKeyPath } from '../../adapters/crypto/local-signer.ts';

/** The local stack's checkpoint signing key: its sealer makes the pair once (adapters/crypto/local-signer.ts). */
export function localSigningKeyPath(dataDir: string): string {
  return join(dataDir, 'log-signing-key.pem');
}

/** Its public half, for auditors and verification: DATA_DIR/log-signing-key.pub.pem. */
export function localPublicKeyPath(dataDir: string): string {
  return publicKeyPath(localSigningKeyPath(dataDir));
}
