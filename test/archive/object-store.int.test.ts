import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { S3ObjectStore } from '../../shared/adapters/s3/s3-store.ts';
import { objectStoreFromUrl } from '../../shared/apps/archive/store-from-url.ts';
import type { ObjectStore } from '../../shared/core/ports/object-store.ts';

const read = async (store: ObjectStore, key: string) => Buffer.concat(await (await store.get(key)).toArray());

let dir: string;
let server: Awaited<ReturnType<typeof startFauxqs>>;
let client: S3Client;
/** Every S3 request's command name and its SSE parameter, as the real client sent it. */
const sent: { command: string; sse: unknown }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'object-store-'));
  server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  client = new S3Client({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ServerSideEncryption?: unknown };
      sent.push({ command: context.commandName ?? '', sse: input.ServerSideEncryption });
      return next(args);
    },
    { step: 'initialize' },
  );
  await client.send(new CreateBucketCommand({ Bucket: 'archive' }));
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const adapters: [string, () => ObjectStore][] = [
  ['file', () => new FileObjectStore(join(dir, 'files'))],
  [
    's3',
    () => new S3ObjectStore(client, { bucket: 'archive', prefix: 'audit', partSize: 5 * 1024 * 1024, pageSize: 2 }),
  ],
];

describe.each(adapters)('%s object store', (name, make) => {
  it('puts a stream and a file, gets them back, heads and lists with paging', async () => {
    const store = make();
    const big = randomBytes(11 * 1024 * 1024); // three multipart parts on S3
    const file = join(dir, `${name}-big.bin`);
    await writeFile(file, big);
    await store.put('events/year=2024/month=01/part-g1-00000.parquet', { file });
    await store.put('events/year=2024/month=01/_manifest.json', Readable.from([Buffer.from('{"rowCount":1}')]));
    await store.put('events/year=2024/month=02/_manifest.json', Readable.from([Buffer.from('{}')]));
    await store.put('other/x', Readable.from([Buffer.from('x')]));

    expect((await read(store, 'events/year=2024/month=01/part-g1-00000.parquet')).equals(big)).toBe(true);
    expect((await read(store, 'events/year=2024/month=01/_manifest.json')).toString()).toBe('{"rowCount":1}');
    expect(await store.head('events/year=2024/month=01/_manifest.json')).toEqual({
      key: 'events/year=2024/month=01/_manifest.json',
      size: 14,
    });
    expect(await store.head('events/nothing')).toBeUndefined();
    expect((await store.list('events/')).map((o) => o.key)).toEqual([
      'events/year=2024/month=01/_manifest.json',
      'events/year=2024/month=01/part-g1-00000.parquet',
      'events/year=2024/month=02/_manifest.json',
    ]);
    expect((await store.list('events/year=2024/month=02/')).map((o) => o.size)).toEqual([2]);
    await expect(store.get('events/missing')).rejects.toThrow();
  });
});

it('encrypts every S3 object it writes, single and multipart', () => {
  const writes = sent.filter((s) => s.command === 'PutObjectCommand' || s.command === 'CreateMultipartUploadCommand');
  expect(writes.map((w) => w.command)).toContain('CreateMultipartUploadCommand');
  expect(writes.map((w) => w.command)).toContain('PutObjectCommand');
  expect(writes.every((w) => w.sse === 'AES256')).toBe(true);
});

it('makes the store ARCHIVE_URL names', () => {
  expect(objectStoreFromUrl('file://.data/archive')).toBeInstanceOf(FileObjectStore);
  expect(objectStoreFromUrl('file:///tmp/a').url).toBe('file:///tmp/a');
  expect(objectStoreFromUrl('s3://bucket/some/prefix', { client: () => client }).url).toBe('s3://bucket/some/prefix/');
  expect(() => objectStoreFromUrl('s3://bucket')).toThrow(/needs an S3 client/);
  expect(() => objectStoreFromUrl('gs://bucket')).toThrow(/only s3:\/\/ and file:\/\//);
  expect(() => new FileObjectStore(dir).pathOf('../escape')).toThrow(/outside/);
});
