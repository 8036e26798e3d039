import { generateKeyPairSync, sign } from 'node:crypto';
import type { CheckpointSigner } from '../../shared/core/ports/signer.ts';
import { publicKeyFingerprint } from '../../shared/core/tamper/checkpoint.ts';

/** A checkpoint signer over a P-256 key made for the test: what the local and KMS signers do, without custody. */
export function testSigner(): CheckpointSigner & { pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    pem,
    keyId: `test:${publicKeyFingerprint(pem)}`,
    sign: async (message) => sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }),
    publicKeyPem: async () => pem,
  };
}
