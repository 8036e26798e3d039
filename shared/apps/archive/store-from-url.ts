import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { FileObjectStore } from '../../adapters/files/file-store.ts';
import { S3ObjectStore, type S3StoreOptions } from '../../adapters/s3/s3-store.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';

/**
 * `ARCHIVE_URL` → its store: `s3://bucket/prefix` (needs an S3 client), `file:///abs/path`, `file://relative/path`
 * (relative to the working directory, like the default `file://.data/archive`) or a plain path.
 */
export function objectStoreFromUrl(
  url: string,
  s3?: { client: () => S3Client } & Omit<S3StoreOptions, 'bucket' | 'prefix'>,
): ObjectStore {
  if (url.startsWith('s3://')) {
    if (!s3) throw new Error(`ARCHIVE_URL ${url} needs an S3 client`);
    const [bucket = '', ...rest] = url.slice('s3://'.length).split('/');
    if (!bucket) throw new Error(`ARCHIVE_URL ${url} names no bucket`);
    const { client, ...options } = s3;
    return new S3ObjectStore(client(), { ...options, bucket, prefix: rest.join('/') });
  }
  if (url.startsWith('file:///')) return new FileObjectStore(fileURLToPath(url));
  if (url.startsWith('file://')) return new FileObjectStore(url.slice('file://'.length));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`ARCHIVE_URL ${url}: only s3:// and file:// are supported`);
  return new FileObjectStore(url);
}
