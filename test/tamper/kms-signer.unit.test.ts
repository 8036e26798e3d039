import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { GetPublicKeyCommand, type GetPublicKeyCommandOutput, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKmsSigner } from '../../shared/adapters/kms/kms-signer.ts';
import {
  checkpointBytes,
  nextCheckpointBody,
  publicKeyFingerprint,
  signCheckpoint,
  verifyCheckpointSignature,
} from '../../shared/core/tamper/checkpoint.ts';
import { hashLeaf } from '../../shared/core/tamper/merkle.ts';

const ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
// The key KMS holds, played by a local one: GetPublicKey returns its DER SubjectPublicKeyInfo.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const publicKeyInfo: Partial<GetPublicKeyCommandOutput> = {
  KeyId: ARN,
  PublicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  KeySpec: 'ECC_NIST_P256',
  KeyUsage: 'SIGN_VERIFY',
  SigningAlgorithms: ['ECDSA_SHA_256'],
};

describe('createKmsSigner', () => {
  const kms = mockClient(KMSClient);
  const client = new KMSClient({ region: 'eu-west-1' });
  beforeEach(() => kms.reset());

  it('signs the SHA-256 digest of a checkpoint with ECDSA_SHA_256, and the signature verifies with the key', async () => {
    kms.on(GetPublicKeyCommand, { KeyId: 'alias/trail-log' }).resolves(publicKeyInfo);
    const signer = await createKmsSigner(client, 'alias/trail-log');
    expect(signer.keyId).toBe(`kms:${publicKeyFingerprint(pem)}`);
    expect(await signer.publicKeyPem()).toBe(pem);

    const body = nextCheckpointBody(undefined, {
      logId: 'fleet-audit-trail',
      treeSize: 1,
      rootHash: hashLeaf(Buffer.from('one event')),
      issuedAt: new Date('2026-05-10T12:00:00.000Z'),
      keyId: signer.keyId,
    });
    const message = checkpointBytes(body);
    // What KMS would return: a DER ECDSA signature over the message whose digest it was sent.
    kms.on(SignCommand).resolves({
      KeyId: ARN,
      Signature: new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' })),
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    const signed = await signCheckpoint(body, signer);
    expect(verifyCheckpointSignature(signed, pem)).toBe(true);

    const calls = kms.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    const { Message, ...rest } = calls[0]!.args[0].input;
    expect(rest).toEqual({ KeyId: 'alias/trail-log', MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });
    expect(Buffer.from(Message!)).toEqual(createHash('sha256').update(message).digest());
  });

  it('reads the public key once', async () => {
    kms.on(GetPublicKeyCommand).resolves(publicKeyInfo);
    const signer = await createKmsSigner(client, ARN);
    await signer.publicKeyPem();
    await signer.publicKeyPem();
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it.each<[string, Partial<GetPublicKeyCommandOutput>, RegExp]>([
    ['an RSA key', { KeySpec: 'RSA_2048' }, /is RSA_2048 for SIGN_VERIFY, not ECC_NIST_P256 for SIGN_VERIFY/],
    ['an encryption key', { KeyUsage: 'ENCRYPT_DECRYPT' }, /not ECC_NIST_P256 for SIGN_VERIFY/],
    ['a key without ECDSA_SHA_256', { SigningAlgorithms: ['ECDSA_SHA_384'] }, /does not sign with ECDSA_SHA_256/],
  ])('refuses %s before signing anything', async (_, change, message) => {
    kms.on(GetPublicKeyCommand).resolves({ ...publicKeyInfo, ...change });
    await expect(createKmsSigner(client, ARN)).rejects.toThrow(message);
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });

  it('fails when KMS returns no signature', async () => {
    kms.on(GetPublicKeyCommand).resolves(publicKeyInfo);
    kms.on(SignCommand).resolves({ KeyId: ARN });
    const signer = await createKmsSigner(client, ARN);
    await expect(signer.sign(Buffer.from('x'))).rejects.toThrow(`KMS returned no signature from ${ARN}`);
  });
});
