import { Readable } from 'node:stream';
import type { LogArchive } from '../../core/ports/log-archive.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';

/** The log's copies in the archive store ARCHIVE_URL names (file:// locally, s3:// with Object Lock on AWS). */
export function logArchiveIn(store: ObjectStore): LogArchive {
  return {
    has: async (key) => (await store.head(key)) !== undefined,
    put: (key, bytes) => store.put(key, Readable.from([bytes])),
  };
}
