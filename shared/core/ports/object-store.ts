import type { Readable } from 'node:stream';

/** What an object store knows about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
}

/** A body to store: a stream, or a local file (the adapter may then move or multipart-upload it). */
export type ObjectBody = Readable | { file: string };

/**
 * The archive's storage: `file://` locally, `s3://` on AWS. Keys are `/`-separated paths relative to the archive root.
 * The archiver never deletes: verified files stay where they are (S3 Object Lock enforces it on AWS).
 */
export interface ObjectStore {
  /** Where this store points, for logs (`file:///…/archive`, `s3://bucket/prefix`). */
  readonly url: string;
  put(key: string, body: ObjectBody): Promise<void>;
  get(key: string): Promise<Readable>;
  /** Every object under the prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The object's size, or undefined when there is no such object. */
  head(key: string): Promise<ObjectInfo | undefined>;
}
