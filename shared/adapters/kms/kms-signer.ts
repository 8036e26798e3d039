import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { CheckpointSigner } from '../../core/ports/signer.ts';
import { publicKeyFingerprint } from '../../core/tamper/checkpoint.ts';

const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/**
 * The checkpoint signer on AWS: an asymmetric KMS key (KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY) whose private
 * half never leaves KMS. The public key is read once (GetPublicKey, DER SubjectPublicKeyInfo) and checked to be
 * what checkpoints need before anything is signed; its fingerprint makes the keyId (`kms:…`).
 *
 * `kmsKeyId`: the key id, key ARN, alias name (`alias/…`) or alias ARN. The caller needs kms:GetPublicKey and
 * kms:Sign on it.
 */
export async function createKmsSigner(client: KMSClient, kmsKeyId: string): Promise<CheckpointSigner> {
  const key = await client.send(new GetPublicKeyCommand({ KeyId: kmsKeyId }));
  if (key.KeySpec !== 'ECC_NIST_P256' || key.KeyUsage !== 'SIGN_VERIFY')
    throw new Error(`KMS key ${kmsKeyId} is ${key.KeySpec} for ${key.KeyUsage}, not ECC_NIST_P256 for SIGN_VERIFY`);
  if (!key.SigningAlgorithms?.includes(SIGNING_ALGORITHM))
    throw new Error(`KMS key ${kmsKeyId} does not sign with ${SIGNING_ALGORITHM}`);
  if (key.PublicKey === undefined) throw new Error(`KMS returned no public key for ${kmsKeyId}`);
  const publicKeyPem = createPublicKey({ key: Buffer.from(key.PublicKey), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const keyId = `kms:${publicKeyFingerprint(publicKeyPem)}`;
  return {
    keyId,
    // The message is hashed here and KMS signs the digest (MessageType DIGEST): the 4 KiB limit on RAW messages
    // then never matters, and the signature is the same ECDSA-with-SHA-256 that verify('sha256', message) checks.
    async sign(message: Buffer): Promise<Buffer> {
      const { Signature } = await client.send(
        new SignCommand({
          KeyId: kmsKeyId,
          Message: createHash('sha256').update(message).digest(),
          MessageType: 'DIGEST',
          SigningAlgorithm: SIGNING_ALGORITHM,
        }),
      );
      if (Signature === undefined) throw new Error(`KMS returned no signature from ${kmsKeyId}`);
      return Buffer.from(Signature);
    },
    async publicKeyPem(): Promise<string> {
      return publicKeyPem;
    },
  };
}
