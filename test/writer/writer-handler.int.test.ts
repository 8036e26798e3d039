import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { SqsDeadLetterQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import type { LocalQueues } from '../../shared/apps/local/sqs.ts';
import { createWriterHandler } from '../../shared/apps/writer.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { packEvents } from '../../shared/core/ingest/packing.ts';
import { readDeadLetter } from '../../shared/core/writer/dead-letter.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';
import { startTestQueues } from '../support/local-queues.ts';
import { recordingMetrics } from '../support/metrics.ts';
import { sqsRecord } from '../support/sqs-records.ts';

let db: TestDatabase;
let writerPool: pg.Pool;
let queues: LocalQueues;
let handler: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
const recorded = recordingMetrics();

beforeAll(async () => {
  db = await createTestDatabase('writer_handler');
  writerPool = createPool({ connectionString: db.writerUrl, max: 2 });
  queues = await startTestQueues();
  handler = createWriterHandler({
    store: new PgEventStore(writerPool),
    deadLetters: new SqsDeadLetterQueue(queues.client, queues.deadLetterQueueUrl),
    metrics: recorded.metrics,
  });
});

afterAll(async () => {
  await writerPool?.end();
  await queues?.stop();
  await db?.drop();
});

const recordsFor = (events: StoredEvent[]) => packEvents(events).map((m) => sqsRecord(m.body, m.groupId));

async function countRows(ids: string[]): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE id = ANY($1::uuid[])', [
    ids,
  ]);
  return Number(rows[0]!.n);
}

describe('writer handler against PostgreSQL (as audit_writer)', () => {
  it('stores every event of a batch of several groups, in months that had no partition yet', async () => {
    const events = [
      storedEvent({ entity: { type: 'robot', id: 'w-1' }, occurredAt: '2019-01-15T00:00:00.000Z' }),
      storedEvent({ entity: { type: 'robot', id: 'w-2' }, occurredAt: '2019-02-15T00:00:00.000Z' }),
      storedEvent({
        entity: { type: 'robot', id: 'w-1' },
        occurredAt: '2019-01-16T00:00:00.000Z',
        severity: 'CRITICAL',
      }),
    ];
    const response = await handler({ Records: recordsFor(events) });
    expect(response.batchItemFailures).toEqual([]);
    expect(await countRows(events.map((e) => e.id))).toBe(3);
    const { rows } = await db.pool.query<{ p: string }>(
      "SELECT DISTINCT tableoid::regclass::text AS p FROM events WHERE entity_id IN ('w-1', 'w-2') ORDER BY 1",
    );
    expect(rows.map((r) => r.p)).toEqual(['events_2019_01', 'events_2019_02']);
  });

  it('treats a redelivered message as a no-op', async () => {
    const events = [storedEvent({ entity: { type: 'sensor', id: 'redeliver' } })];
    const records = recordsFor(events);
    expect((await handler({ Records: records })).batchItemFailures).toEqual([]);
    expect((await handler({ Records: records })).batchItemFailures).toEqual([]);
    expect(await countRows(events.map((e) => e.id))).toBe(1);
  });

  it('counts a redelivered batch once in Events and EventsByType, and only the new part of a mixed one', async () => {
    const entity = { type: 'robot', id: 'counted-once' };
    const events = [
      storedEvent({ entity, severity: 'CRITICAL', type: 'robot.offline', occurredAt: '2019-03-01T00:00:00.000Z' }),
      storedEvent({ entity, occurredAt: '2019-03-01T00:00:01.000Z' }),
      storedEvent({ entity: { type: 'sensor', id: 'counted-once' }, occurredAt: '2019-03-01T00:00:02.000Z' }),
    ];
    const records = recordsFor(events);
    recorded.take();
    expect((await handler({ Records: records })).batchItemFailures).toEqual([]);
    expect(recorded.take()).toEqual({
      'Events{severity=CRITICAL}': 1,
      'Events{severity=INFO}': 2,
      'EventsByType{type=robot.offline}': 1,
      'EventsByType{type=robot.online}': 2,
    });

    // SQS delivers the same messages again (a lost response, a visibility timeout): stored, not counted.
    expect((await handler({ Records: records })).batchItemFailures).toEqual([]);
    expect(recorded.take()).toEqual({});

    const late = storedEvent({ entity, severity: 'WARNING', occurredAt: '2019-03-01T00:00:03.000Z' });
    expect((await handler({ Records: [...records, ...recordsFor([late])] })).batchItemFailures).toEqual([]);
    expect(recorded.take()).toEqual({ 'Events{severity=WARNING}': 1, 'EventsByType{type=robot.online}': 1 });
    expect(await countRows([...events, late].map((e) => e.id))).toBe(4);
  });

  it('parks a message that can never be stored in the DLQ with its reason, and stores the rest', async () => {
    const good = storedEvent({ entity: { type: 'robot', id: 'after-poison' } });
    const poison = sqsRecord(JSON.stringify({ events: [{ id: 'not-a-uuid' }] }), 'robot:poison');
    const response = await handler({ Records: [poison, ...recordsFor([good])] });
    expect(response.batchItemFailures).toEqual([]);
    expect(await countRows([good.id])).toBe(1);

    const { Messages = [] } = await queues.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.deadLetterQueueUrl,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages[0]!.Body).toBe(poison.body);
    expect(Messages[0]!.Attributes?.MessageGroupId).toBe('robot:poison');
    expect(Messages[0]!.MessageAttributes?.reason?.StringValue).toMatch(/events\.0\.id/);
  });

  it('dead-letters only the event PostgreSQL refuses; the good events packed with it are stored in order', async () => {
    // A DLQ of its own, so the messages the other tests parked are not counted.
    const own = await startTestQueues();
    try {
      const writer = createWriterHandler({
        store: new PgEventStore(writerPool),
        deadLetters: new SqsDeadLetterQueue(own.client, own.deadLetterQueueUrl),
        metrics: recorded.metrics,
      });
      const entity = { type: 'robot', id: 'nul-between' };
      const first = storedEvent({ entity, occurredAt: '2019-04-01T00:00:00.000Z' });
      // Built as a stored event, past ingest's validation: jsonb has no \u0000, so PostgreSQL refuses it (22P05).
      const bad = storedEvent({ entity, occurredAt: '2019-04-01T00:00:01.000Z', payload: { note: 'a\u0000b' } });
      const third = storedEvent({ entity, occurredAt: '2019-04-01T00:00:02.000Z' });
      const records = recordsFor([first, bad, third]);
      expect(records).toHaveLength(1);
      recorded.take();

      expect((await writer({ Records: records })).batchItemFailures).toEqual([]);
      const { rows } = await db.pool.query<{ id: string }>(
        "SELECT id FROM events WHERE entity_id = 'nul-between' ORDER BY occurred_at",
      );
      expect(rows.map((r) => r.id)).toEqual([first.id, third.id]);
      expect(recorded.take()).toEqual({ 'Events{severity=INFO}': 2, 'EventsByType{type=robot.online}': 2 });

      const { Messages = [] } = await own.client.send(
        new ReceiveMessageCommand({
          QueueUrl: own.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          WaitTimeSeconds: 1,
        }),
      );
      expect(Messages).toHaveLength(1);
      const [message] = Messages;
      expect(message!.Attributes?.MessageGroupId).toBe('robot:nul-between');
      expect(message!.Attributes?.MessageDeduplicationId).toBe(`${records[0]!.messageId}:1`);
      expect(message!.MessageAttributes?.originalMessageId?.StringValue).toBe(records[0]!.messageId);
      expect(message!.MessageAttributes?.reason?.StringValue).toMatch(/22P05/);
      expect(readDeadLetter(message!.Body!)).toEqual({
        format: 'trail.dead-letter/1',
        kind: 'event',
        reason: expect.stringMatching(/^the store refused the event: .*\(22P05\)$/),
        sqlState: '22P05',
        messageId: records[0]!.messageId,
        groupId: 'robot:nul-between',
        eventIndex: 1,
        event: bad,
      });
    } finally {
      await own.stop();
    }
  });

  it('dead-letters an event under an id that names another event; a resend is a no-op; the rest is stored', async () => {
    const own = await startTestQueues();
    try {
      const writer = createWriterHandler({
        store: new PgEventStore(writerPool),
        deadLetters: new SqsDeadLetterQueue(own.client, own.deadLetterQueueUrl),
        metrics: recorded.metrics,
      });
      const earlier = storedEvent({
        entity: { type: 'robot', id: 'id-owner' },
        occurredAt: '2019-05-01T00:00:00.000Z',
      });
      expect((await writer({ Records: recordsFor([earlier]) })).batchItemFailures).toEqual([]);
      const rowsBefore = Number((await db.pool.query('SELECT count(*) FROM events')).rows[0].count);

      const entity = { type: 'sensor', id: 'id-reuser' };
      const good = storedEvent({ entity, occurredAt: '2019-06-01T00:00:00.000Z' });
      const reused = storedEvent({ entity, id: earlier.id, occurredAt: '2019-06-01T00:00:01.000Z' });
      const alsoGood = storedEvent({ entity, occurredAt: '2019-06-01T00:00:02.000Z' });
      const resend = { ...earlier, receivedAt: '2019-05-01T00:09:00.000Z' };
      const records = [...recordsFor([good, reused, alsoGood]), ...recordsFor([resend])];
      recorded.take();

      expect((await writer({ Records: records })).batchItemFailures).toEqual([]);
      expect(recorded.take()).toEqual({ 'Events{severity=INFO}': 2, 'EventsByType{type=robot.online}': 2 });
      expect(Number((await db.pool.query('SELECT count(*) FROM events')).rows[0].count)).toBe(rowsBefore + 2);
      const { rows } = await db.pool.query<{ id: string; entity_id: string }>(
        "SELECT id, entity_id FROM events WHERE entity_id IN ('id-owner', 'id-reuser') ORDER BY occurred_at",
      );
      expect(rows).toEqual([
        { id: earlier.id, entity_id: 'id-owner' },
        { id: good.id, entity_id: 'id-reuser' },
        { id: alsoGood.id, entity_id: 'id-reuser' },
      ]);

      const { Messages = [] } = await own.client.send(
        new ReceiveMessageCommand({
          QueueUrl: own.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          WaitTimeSeconds: 1,
        }),
      );
      expect(Messages).toHaveLength(1);
      const reason = `id ${earlier.id} is already stored with different content (the stored event occurred at 2019-05-01T00:00:00.000Z): an id names one event, forever; send a new event under a new id`;
      expect(Messages[0]!.MessageAttributes?.reason?.StringValue).toBe(reason);
      expect(readDeadLetter(Messages[0]!.Body!)).toEqual({
        format: 'trail.dead-letter/1',
        kind: 'event',
        reason,
        sqlState: '23505',
        messageId: records[0]!.messageId,
        groupId: 'sensor:id-reuser',
        eventIndex: 1,
        event: reused,
      });
    } finally {
      await own.stop();
    }
  });

  it('reports every record as failed when the database refuses writes, so SQS redelivers them', async () => {
    const events = [
      storedEvent({ entity: { type: 'robot', id: 'refused-1' } }),
      storedEvent({ entity: { type: 'robot', id: 'refused-2' } }),
    ];
    const records = recordsFor(events);
    await db.pool.query('REVOKE INSERT ON events FROM audit_writer');
    try {
      const response = await handler({ Records: records });
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
        records.map((r) => r.messageId).sort(),
      );
    } finally {
      await db.pool.query('GRANT INSERT ON events TO audit_writer');
    }
    expect((await handler({ Records: records })).batchItemFailures).toEqual([]);
    expect(await countRows(events.map((e) => e.id))).toBe(2);
  });
});
