import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../../core/ports/object-store.ts';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `audit/` (may be empty). */
  prefix?: string;
  /** `AES256` (S3-managed keys, the default) or `aws:kms` with `kmsKeyId`. */
  serverSideEncryption?: ServerSideEncryption;
  kmsKeyId?: string;
  /** Multipart part size; 5 MiB is S3's minimum. */
  partSize?: number;
  /** ListObjectsV2 page size (S3 caps it at 1000). */
  pageSize?: number;
}

/** The archive in S3: streamed multipart uploads, every object encrypted at rest. */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3StoreOptions,
  ) {
    this.prefix = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    this.url = `s3://${options.bucket}/${this.prefix}`;
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const upload = new Upload({
      client: this.client,
      partSize: this.options.partSize ?? 16 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
      params: {
        Bucket: this.options.bucket,
        Key: this.prefix + key,
        Body: 'file' in body ? createReadStream(body.file) : body,
        ServerSideEncryption: this.options.serverSideEncryption ?? 'AES256',
        ...(this.options.kmsKeyId && { SSEKMSKeyId: this.options.kmsKeyId }),
      },
    });
    await upload.done();
  }

  async get(key: string): Promise<Readable> {
    const { Body } = await this.client.send(
      new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
    );
    if (!(Body instanceof Readable)) throw new Error(`s3 object ${key} has no readable body`);
    return Body;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
          MaxKeys: this.options.pageSize ?? 1000,
        }),
      );
      for (const object of page.Contents ?? [])
        if (object.Key) found.push({ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
      );
      return { key, size: head.ContentLength ?? 0 };
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
      throw error;
    }
  }
}
