import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { Severity } from '../../shared/core/domain/severity.ts';
import { deduplicationIdFor } from '../../shared/core/ingest/packing.ts';
import type { DeadLetterQueue, EventWriter } from '../../shared/core/ports/events.ts';
import { type QueueRecord, writeBatch } from '../../shared/core/writer/write-batch.ts';
import { eventAbout } from '../support/events.ts';

const event = (entity: string, severity: Severity = 'INFO') => eventAbout(entity, { severity });

/** A FIFO record carrying the given events of one group. */
function record(messageId: string, events: StoredEvent[]): QueueRecord {
  const first = events[0]!;
  return {
    messageId,
    groupId: `${first.entity.type}:${first.entity.id}`,
    deduplicationId: deduplicationIdFor(events),
    body: JSON.stringify({ events }),
  };
}

function rawRecord(messageId: string, groupId: string, body: string): QueueRecord {
  return { messageId, groupId, deduplicationId: `dedup-${messageId}`, body };
}

class PgError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * An in-memory store: records every insert call; `fail(events)` decides whether a call throws (and with what).
 * The whole-batch call of a batch with several records is made to fail whenever any of its events would. Like
 * PostgreSQL, it skips an event already stored and answers with the new ones.
 */
function fakeStore(fail: (events: readonly StoredEvent[]) => Error | undefined = () => undefined) {
  const calls: StoredEvent[][] = [];
  const rows: StoredEvent[] = [];
  const store: EventWriter = {
    async insert(events) {
      calls.push([...events]);
      const error = fail(events);
      if (error) throw error;
      const fresh = events.filter(
        (event, i) => !rows.some((row) => row.id === event.id) && events.indexOf(event) === i,
      );
      rows.push(...fresh);
      return fresh;
    },
  };
  return { store, calls, rows };
}

function fakeDeadLetters(failWith?: Error) {
  const parked: { groupId: string; deduplicationId: string; body: string; reason: string }[] = [];
  const deadLetters: DeadLetterQueue = {
    async sendPoison(message) {
      if (failWith) throw failWith;
      parked.push(message);
    },
  };
  return { deadLetters, parked };
}

const failing = (badIds: Set<string>, error: () => Error) => (events: readonly StoredEvent[]) =>
  events.some((e) => badIds.has(e.id)) ? error() : undefined;

describe('writeBatch: happy path', () => {
  it('inserts every event of the batch with one call, in record order', async () => {
    const a1 = event('robot:a');
    const a2 = event('robot:a');
    const b1 = event('sensor:b');
    const { store, calls } = fakeStore();
    const { deadLetters, parked } = fakeDeadLetters();
    const outcome = await writeBatch([record('m1', [a1, a2]), record('m2', [b1])], { store, deadLetters });
    expect(calls).toEqual([[a1, a2, b1]]);
    expect(outcome).toEqual({ failedMessageIds: [], stored: [a1, a2, b1], inserted: [a1, a2, b1], poisoned: [] });
    expect(parked).toEqual([]);
  });

  it('an empty batch touches nothing', async () => {
    const { store, calls } = fakeStore();
    const { deadLetters } = fakeDeadLetters();
    expect(await writeBatch([], { store, deadLetters })).toEqual({
      failedMessageIds: [],
      stored: [],
      inserted: [],
      poisoned: [],
    });
    expect(calls).toEqual([]);
  });
});

describe('writeBatch: messages that can never be written go to the DLQ', () => {
  it.each([
    ['not JSON', 'this is not json', /not JSON/],
    ['no events', JSON.stringify({ events: [] }), /not a batch of valid events/],
    ['wrong shape', JSON.stringify([{ id: 1 }]), /not a batch of valid events/],
    [
      'an invalid event',
      JSON.stringify({ events: [{ ...event('robot:a'), severity: 'LOUD' }] }),
      /events\.0\.severity/,
    ],
    ['an event without actor', JSON.stringify({ events: [{ ...event('robot:a'), actor: undefined }] }), /actor/],
  ])('%s → DLQ with the reason, not a failure; the rest is stored', async (_what, body, reason) => {
    const good = event('sensor:b');
    const { store, calls } = fakeStore();
    const { deadLetters, parked } = fakeDeadLetters();
    const poison = rawRecord('m1', 'robot:a', body);
    const outcome = await writeBatch([poison, record('m2', [good])], { store, deadLetters });

    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.poisoned).toEqual([{ messageId: 'm1', reason: expect.stringMatching(reason) }]);
    expect(parked).toEqual([
      { groupId: 'robot:a', deduplicationId: 'dedup-m1', body, reason: expect.stringMatching(reason) },
    ]);
    expect(calls).toEqual([[good]]);
    expect(outcome.stored).toEqual([good]);
  });

  it('a batch of only poison makes no insert', async () => {
    const { store, calls } = fakeStore();
    const { deadLetters, parked } = fakeDeadLetters();
    const outcome = await writeBatch([rawRecord('m1', 'robot:a', '{')], { store, deadLetters });
    expect(calls).toEqual([]);
    expect(parked).toHaveLength(1);
    expect(outcome.failedMessageIds).toEqual([]);
  });

  it('when the DLQ cannot take it, the record is reported as a failure (SQS redrive still applies)', async () => {
    const logs: string[] = [];
    const { store } = fakeStore();
    const { deadLetters } = fakeDeadLetters(new Error('DLQ unavailable'));
    const outcome = await writeBatch([rawRecord('m1', 'robot:a', 'garbage'), record('m2', [event('sensor:b')])], {
      store,
      deadLetters,
      log: (_level, message) => logs.push(message),
    });
    expect(outcome.failedMessageIds).toEqual(['m1']);
    expect(outcome.poisoned).toEqual([]);
    expect(outcome.stored).toHaveLength(1);
    expect(logs.some((m) => /DLQ/.test(m))).toBe(true);
  });
});

describe('writeBatch: when the batch insert fails', () => {
  it('retries record by record; a transiently failing record blocks the later records of its group only', async () => {
    const a1 = event('robot:a');
    const a2 = event('robot:a');
    const a3 = event('robot:a');
    const b1 = event('sensor:b');
    const b2 = event('sensor:b');
    const c1 = event('container:c');
    const { store, calls, rows } = fakeStore(failing(new Set([a2.id]), () => new PgError('connection reset')));
    const { deadLetters, parked } = fakeDeadLetters();
    const records = [
      record('a1', [a1]),
      record('b1', [b1]),
      record('a2', [a2]),
      record('c1', [c1]),
      record('a3', [a3]),
      record('b2', [b2]),
    ];
    const outcome = await writeBatch(records, { store, deadLetters });

    expect(outcome.failedMessageIds).toEqual(['a2', 'a3']);
    expect(outcome.stored).toEqual([a1, b1, c1, b2]);
    expect(rows).toEqual([a1, b1, c1, b2]);
    expect(outcome.poisoned).toEqual([]);
    expect(parked).toEqual([]);
    // One batch attempt, then one call per record up to the failure; a3 is never tried (it would jump ahead of a2).
    expect(calls).toEqual([[a1, b1, a2, c1, a3, b2], [a1], [b1], [a2], [c1], [b2]]);
  });

  it('a record whose insert fails with a non-data PostgreSQL error (e.g. 40001, 57P01) blocks its group', async () => {
    for (const code of ['40001', '57P01', '08006', '23505']) {
      const a1 = event('robot:a');
      const a2 = event('robot:a');
      const { store } = fakeStore(failing(new Set([a1.id]), () => new PgError('nope', code)));
      const { deadLetters, parked } = fakeDeadLetters();
      const outcome = await writeBatch([record('a1', [a1]), record('a2', [a2])], { store, deadLetters });
      expect(outcome.failedMessageIds).toEqual(['a1', 'a2']);
      expect(parked).toEqual([]);
    }
  });

  it.each(['22P02', '22007', '22001', '22003', '54000'])(
    'a PostgreSQL data error (%s) parks that record in the DLQ, and later records of its group proceed',
    async (code) => {
      const a1 = event('robot:a');
      const a2 = event('robot:a');
      const a3 = event('robot:a');
      const b1 = event('sensor:b');
      const { store, rows } = fakeStore(failing(new Set([a2.id]), () => new PgError('invalid input syntax', code)));
      const { deadLetters, parked } = fakeDeadLetters();
      const poison = record('a2', [a2]);
      const outcome = await writeBatch([record('a1', [a1]), poison, record('b1', [b1]), record('a3', [a3])], {
        store,
        deadLetters,
      });

      expect(outcome.failedMessageIds).toEqual([]);
      expect(outcome.stored).toEqual([a1, b1, a3]);
      expect(rows).toEqual([a1, b1, a3]);
      expect(outcome.poisoned).toEqual([{ messageId: 'a2', reason: expect.stringContaining(code) }]);
      expect(parked).toEqual([
        {
          groupId: poison.groupId,
          deduplicationId: poison.deduplicationId,
          body: poison.body,
          reason: expect.stringMatching(/store refused.*invalid input syntax/),
        },
      ]);
    },
  );

  it('a data error whose DLQ send fails is reported as a failure', async () => {
    const a1 = event('robot:a');
    const b1 = event('sensor:b');
    const { store } = fakeStore(failing(new Set([a1.id]), () => new PgError('bad', '22P02')));
    const { deadLetters } = fakeDeadLetters(new Error('throttled'));
    const outcome = await writeBatch([record('a1', [a1]), record('b1', [b1])], { store, deadLetters });
    expect(outcome.failedMessageIds).toEqual(['a1']);
    expect(outcome.stored).toEqual([b1]);
    expect(outcome.poisoned).toEqual([]);
  });

  it('when the store is down, every record fails and nothing is parked', async () => {
    const { store } = fakeStore(() => new PgError('ECONNREFUSED'));
    const { deadLetters, parked } = fakeDeadLetters();
    const records = [
      record('a1', [event('robot:a')]),
      record('b1', [event('sensor:b')]),
      record('a2', [event('robot:a')]),
    ];
    const outcome = await writeBatch(records, { store, deadLetters });
    expect(outcome.failedMessageIds).toEqual(['a1', 'b1', 'a2']);
    expect(outcome.stored).toEqual([]);
    expect(parked).toEqual([]);
  });

  it('a batch that fails once and then succeeds record by record stores everything', async () => {
    let first = true;
    const { store } = fakeStore(() => {
      if (!first) return undefined;
      first = false;
      return new PgError('deadlock detected', '40P01');
    });
    const { deadLetters } = fakeDeadLetters();
    const events = [event('robot:a'), event('sensor:b')];
    const outcome = await writeBatch([record('m1', [events[0]!]), record('m2', [events[1]!])], { store, deadLetters });
    expect(outcome).toEqual({ failedMessageIds: [], stored: events, inserted: events, poisoned: [] });
  });

  it('logs the batch failure and each failed record', async () => {
    const entries: { level: string; message: string; details: Record<string, unknown> }[] = [];
    const a1 = event('robot:a');
    const { store } = fakeStore(failing(new Set([a1.id]), () => new PgError('timeout', '57014')));
    const { deadLetters } = fakeDeadLetters();
    await writeBatch([record('a1', [a1])], {
      store,
      deadLetters,
      log: (level, message, details) => entries.push({ level, message, details }),
    });
    expect(entries.map((e) => e.level)).toEqual(['warn', 'error']);
    expect(entries[1]?.details).toMatchObject({ messageId: 'a1', error: 'timeout (57014)' });
  });
});

describe('writeBatch: redelivered events are stored once and reported as not inserted', () => {
  it('a redelivered batch is stored (so SQS deletes it) but inserts nothing', async () => {
    const a1 = event('robot:a', 'CRITICAL');
    const b1 = event('sensor:b');
    const { store, rows } = fakeStore();
    const { deadLetters } = fakeDeadLetters();
    const records = [record('m1', [a1]), record('m2', [b1])];
    const first = await writeBatch(records, { store, deadLetters });
    expect(first.inserted).toEqual([a1, b1]);

    const again = await writeBatch(records, { store, deadLetters });
    expect(again).toEqual({ failedMessageIds: [], stored: [a1, b1], inserted: [], poisoned: [] });
    expect(rows).toEqual([a1, b1]);
  });

  it('a batch mixing redelivered and new events reports only the new ones, also when retried record by record', async () => {
    const old = event('robot:a');
    const fresh = event('robot:a');
    const other = event('sensor:b');
    let failBatch = false;
    const { store } = fakeStore((events) =>
      failBatch && events.length > 1 ? new PgError('deadlock', '40P01') : undefined,
    );
    const { deadLetters } = fakeDeadLetters();
    await writeBatch([record('m1', [old])], { store, deadLetters });

    const mixed = [record('m1', [old]), record('m2', [fresh]), record('m3', [other])];
    expect((await writeBatch(mixed, { store, deadLetters })).inserted).toEqual([fresh, other]);

    const newer = event('robot:a');
    failBatch = true;
    const retried = await writeBatch([record('m1', [old]), record('m4', [newer])], { store, deadLetters });
    expect(retried).toEqual({ failedMessageIds: [], stored: [old, newer], inserted: [newer], poisoned: [] });
  });
});
