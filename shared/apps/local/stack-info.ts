import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { localEndpointSqsClient } from '../../adapters/sqs/client.ts';

/**
 * `DATA_DIR/stack.json`: where a running `trail start` listens, so other `trail` commands (`trail dlq`) find it
 * without flags. Written once the stack is up, removed first thing on stop.
 */
export const STACK_INFO_FILE = 'stack.json';

export const stackInfoSchema = z.strictObject({
  pid: z.number().int().positive(),
  httpUrl: z.url(),
  mqttUrl: z.string().min(1),
  sqsEndpoint: z.url(),
  // fauxqs names its queues http://sqs.<region>.127.0.0.1:<port>/…, which is no WHATWG URL (the client sends to
  // sqsEndpoint and takes only the queue's path from these).
  queueUrl: z.string().min(1),
  deadLetterQueueUrl: z.string().min(1),
  /** The stack's database, without credentials: `trail verify` logs in as audit_sealer with DATA_DIR's password. */
  databaseUrl: z.url().optional(),
  /** Where maintenance archives (ARCHIVE_URL, or file://DATA_DIR/archive). */
  archiveUrl: z.string().min(1).optional(),
});
export type StackInfo = z.infer<typeof stackInfoSchema>;

/**
 * `DATA_DIR/owner-database-url`: the schema owner's URL, password included, beside stack.json but readable by its OS
 * user only, for the `trail` commands that act as the owner (migrate, maintain, archive, history).
 */
export const OWNER_URL_FILE = 'owner-database-url';

/** Writes the owner's URL (mode 0600); resolves to what removes it. */
export async function writeOwnerUrl(dataDir: string, url: string): Promise<() => Promise<void>> {
  const file = join(dataDir, OWNER_URL_FILE);
  await rm(file, { force: true });
  await writeFile(file, `${url}\n`, { mode: 0o600 });
  return () => rm(file, { force: true });
}

/** The owner's URL the running stack wrote; undefined when there is none or it cannot be read. */
export async function readOwnerUrl(dataDir: string): Promise<string | undefined> {
  const text = await readFile(join(dataDir, OWNER_URL_FILE), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** Writes the file; resolves to what removes it. */
export async function writeStackInfo(dataDir: string, info: StackInfo): Promise<() => Promise<void>> {
  const file = join(dataDir, STACK_INFO_FILE);
  await writeFile(file, `${JSON.stringify(stackInfoSchema.parse(info), null, 2)}\n`);
  return () => rm(file, { force: true });
}

/**
 * The running stack of `dataDir`; throws, saying how to start one, when there is none (no file, or its process is
 * gone: a stack killed before it could remove the file).
 */
export async function readStackInfo(dataDir: string): Promise<StackInfo> {
  const file = join(dataDir, STACK_INFO_FILE);
  const notRunning = (why: string) =>
    new Error(`no local stack is running (${why}): start one with \`npm start\` (DATA_DIR=${dataDir})`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(`no ${file}`);
    throw error;
  }
  const parsed = stackInfoSchema.safeParse(parseJson(text));
  if (!parsed.success)
    throw new Error(`${file} is not what \`trail start\` writes: ${parsed.error.issues[0]?.message}`);
  if (!isAlive(parsed.data.pid)) throw notRunning(`${file} names process ${parsed.data.pid}, which is gone`);
  return parsed.data;
}

/** A database URL with its user and password taken out, for stack.json (others may read it). */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** An SQS client for the stack's endpoint. */
export function localSqsClient(info: Pick<StackInfo, 'sqsEndpoint'>): SQSClient {
  return localEndpointSqsClient(info.sqsEndpoint);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
