import { GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../shared/apps/cli/main.ts';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { localSqsClient, readStackInfo, type StackInfo } from '../../shared/apps/local/stack-info.ts';
import { MAX_RECEIVE_COUNT } from '../../shared/core/contracts/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';

/**
 * The story `trail dlq` is for: the writer cannot insert for a while (here its INSERT privilege revoked, as a database
 * that refuses it would), so SQS moves the messages to the DLQ after MAX_RECEIVE_COUNT receives; once it can again,
 * `trail dlq redrive --all` brings them back, and they are stored. Younger than FIFO's 5-minute deduplication window,
 * they would be dropped if resent with their original deduplication ids.
 */
const TOKEN = 'dlq-admin-token';
const ENTITIES = 12; // more than one receive of 10: list and redrive must page

let db: TestDatabase;
let stack: LocalStack & { dataDir: string };
let info: StackInfo;
let sqs: SQSClient;

beforeAll(async () => {
  db = await createTestDatabase('e2e_dlq_redrive');
  stack = await startTestStack(db.url, `${TOKEN}=alice:admin`);
  info = await readStackInfo(stack.dataDir);
  sqs = localSqsClient(info);
  // A test seam: failed receives come back after 1 s instead of the local stack's 5.
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: info.queueUrl, Attributes: { VisibilityTimeout: '1' } }));
});
afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
  await db?.drop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function depth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `trail dlq …` against this stack: its exit code and what it printed. */
async function trail(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  const code = await main(['dlq', ...argv, '--data-dir', stack.dataDir]);
  vi.restoreAllMocks();
  return { code, out: out.join(''), err: err.join('') };
}

/**
 * A privilege change on events, as its owner. Under the table's lock: the stack's start-up maintenance may be making
 * partitions, which updates the same catalog row ("tuple concurrently updated" otherwise).
 */
async function onEvents(
  statement: 'REVOKE INSERT ON events FROM audit_writer' | 'GRANT INSERT ON events TO audit_writer',
) {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function storedIds(ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.pool.query<{ id: string }>('SELECT id::text FROM events WHERE id = ANY($1::uuid[])', [ids]);
  return rows.map((row) => row.id).sort();
}

describe('trail dlq against the local stack: a transient failure, then redrive', () => {
  let ids: string[] = [];

  it('while the writer may not insert, the messages reach the DLQ after MAX_RECEIVE_COUNT receives', async () => {
    await onEvents('REVOKE INSERT ON events FROM audit_writer');
    const events = Array.from({ length: ENTITIES }, (_, i) => ({
      type: 'robot.online',
      entity: { type: 'robot', id: `dlq-${i}` },
      occurredAt: '2026-03-01T10:00:00Z',
      payload: { reason: 'boot' },
    }));
    const response = await fetch(`${stack.httpUrl}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(response.status).toBe(202);
    ids = ((await response.json()) as { ids: string[] }).ids;

    // Every message of the request's entities, and the interaction record (audit.api.request) of the POST itself.
    await until('the DLQ to hold every message', async () => (await depth(info.deadLetterQueueUrl)) === ENTITIES + 1);
    expect(await depth(info.queueUrl)).toBe(0);
    expect(await storedIds(ids)).toEqual([]);
  }, 60_000);

  it('trail dlq list shows them all, pages past 10, and consumes none', async () => {
    const { code, out } = await trail('list', '--json');
    expect(code).toBe(0);
    const all = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(all).toHaveLength(ENTITIES + 1);
    const listed = all.filter((m) => String(m.group).startsWith('robot:dlq-'));
    expect(listed).toHaveLength(ENTITIES);
    expect(listed.every((m) => m.kind === 'retries' && m.redrivable && m.receives > MAX_RECEIVE_COUNT)).toBe(true);
    expect(listed.flatMap((m) => m.eventIds).sort()).toEqual([...ids].sort());
    expect(await depth(info.deadLetterQueueUrl)).toBe(ENTITIES + 1);

    const one = listed[0];
    const shown = await trail('show', one.id);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toMatchObject({
      id: one.id,
      groupId: one.group,
      body: { events: [{ id: one.eventIds[0] }] },
    });
    expect(await depth(info.deadLetterQueueUrl)).toBe(ENTITIES + 1);
  });

  it('once the writer may insert again, trail dlq redrive --all stores every event and empties the DLQ', async () => {
    await onEvents('GRANT INSERT ON events TO audit_writer');
    const { code, out } = await trail('redrive', '--all');
    expect(code).toBe(0);
    expect(out).toContain(`redriven: ${ENTITIES + 1}`);
    await until('the events to be stored', async () => (await storedIds(ids)).length === ENTITIES);
    expect(await storedIds(ids)).toEqual([...ids].sort());
    expect(await depth(info.deadLetterQueueUrl)).toBe(0);
    expect(await stack.drain(10_000)).toBe(true);
  }, 60_000);

  it('trail dlq says so, and how to start one, when no stack is running', async () => {
    await stack.stop();
    const { code, err } = await trail('list');
    expect(code).toBe(1);
    expect(err).toMatch(/^trail dlq list: no local stack is running .*start one with `npm start`/);
  });
});
