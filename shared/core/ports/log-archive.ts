/**
 * Where the sealer copies each checkpoint and the leaf hashes it sealed: the archive, under Object Lock on AWS, so a
 * rewrite of the log in PostgreSQL cannot also rewrite these (shared/core/tamper/archive-keys.ts names them). Small
 * objects, written whole; an ObjectStore behind it (shared/apps/archive/log-archive.ts).
 */
export interface LogArchive {
  /** Whether an object is at the key. */
  has(key: string): Promise<boolean>;
  put(key: string, bytes: Buffer): Promise<void>;
}
