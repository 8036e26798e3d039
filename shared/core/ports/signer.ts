/**
 * Who signs checkpoints (core/tamper/checkpoint.ts): AWS KMS on AWS (adapters/kms), a local key file in the local
 * stack (adapters/crypto). The private key never leaves the signer; auditors get `publicKeyPem()`.
 */
export interface CheckpointSigner {
  /** Written into every checkpoint it signs: `<custody>:<publicKeyFingerprint>`, e.g. `kms:3f1c…`, `local:a0b2…`. */
  readonly keyId: string;
  /** ECDSA P-256 over SHA-256 of `message`, DER-encoded. */
  sign(message: Buffer): Promise<Buffer>;
  /** The public key, as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem(): Promise<string>;
}
