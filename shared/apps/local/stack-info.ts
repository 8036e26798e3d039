import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

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
});
export type StackInfo = z.infer<typeof stackInfoSchema>;

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

/** An SQS client for the stack's endpoint (fauxqs takes any credentials). */
export function localSqsClient(info: Pick<StackInfo, 'sqsEndpoint'>): SQSClient {
  return new SQSClient({
    endpoint: info.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
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
