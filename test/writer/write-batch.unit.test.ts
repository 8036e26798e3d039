import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { eventDigest } from '../../shared/core/domain/event-digest.ts';
import type { Severity } from '../../shared/core/domain/severity.ts';
import { deduplicationIdFor } from '../../shared/core/ingest/packing.ts';
import type { DeadLetterMessage, DeadLetterQueue, EventWriter, IdConflict } from '../../shared/core/ports/events.ts';
import { DEAD_LETTER_FORMAT, readDeadLetter } from '../../shared/core/writer/dead-letter.ts';
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
    readonly constraint?: string,
  ) {
    super(message);
  }
}

/**
 * An in-memory store: records every write call; `fail(events)` decides whether a call throws (and with what).
 * The whole-batch call of a batch with several records is made to fail whenever any of its events would. Like
 * PostgreSQL, it skips an event already stored, answers with the new ones, and reports an event under a stored id
 * with other content as a conflict.
 */
function fakeStore(fail: (events: readonly StoredEvent[]) => Error | undefined = () => undefined) {
  const calls: StoredEvent[][] = [];
  const rows: StoredEvent[] = [];
  const store: EventWriter = {
    async write(events) {
      calls.push([...events]);
      const error = fail(events);
      if (error) throw error;
      const inserted: StoredEvent[] = [];
      const conflicts: IdConflict[] = [];
      events.forEach((event, index) => {
        const held = rows.find((row) => row.id === event.id);
        if (!held) {
          rows.push(event);
          inserted.push(event);
        } else if (eventDigest(held) !== eventDigest(event))
          conflicts.push({ index, storedOccurredAt: held.occurredAt });
      });
      return { inserted, conflicts };
    },
  };
  return { store, calls, rows };
}

function fakeDeadLetters(failWith?: Error) {
  const parked: DeadLetterMessage[] = [];
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
      {
        groupId: 'robot:a',
        deduplicationId: 'dedup-m1',
        body,
        reason: expect.stringMatching(reason),
        originalMessageId: 'm1',
      },
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
      expect(outcome.poisoned).toEqual([
        { messageId: 'a2', eventId: a2.id, eventIndex: 0, reason: expect.stringContaining(code) },
      ]);
      // The record held one event: that event is dead-lettered alone (the DLQ message format is dead-letter.ts's).
      expect(parked).toEqual([
        {
          groupId: poison.groupId,
          deduplicationId: 'a2:0',
          body: expect.any(String),
          reason: expect.stringMatching(/store refused.*invalid input syntax/),
          originalMessageId: 'a2',
        },
      ]);
      expect(readDeadLetter(parked[0]!.body)).toMatchObject({ kind: 'event', messageId: 'a2', event: a2 });
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

describe('writeBatch: a record the store refuses is retried event by event; only refused events are dead-lettered', () => {
  const refused = (code = '22P05') => new PgError('unsupported Unicode escape sequence', code);

  it('stores the good events of the record in order and dead-letters only the refused one, with reason and message id', async () => {
    const a1 = event('robot:a');
    const bad = event('robot:a');
    const a3 = event('robot:a');
    const later = event('robot:a');
    const { store, calls, rows } = fakeStore(failing(new Set([bad.id]), () => refused()));
    const { deadLetters, parked } = fakeDeadLetters();
    const packed = record('m1', [a1, bad, a3]);
    const outcome = await writeBatch([packed, record('m2', [later])], { store, deadLetters });

    expect(outcome.failedMessageIds).toEqual([]);
    expect(rows).toEqual([a1, a3, later]);
    expect(outcome.stored).toEqual([a1, a3, later]);
    expect(outcome.inserted).toEqual([a1, a3, later]);
    // The batch, then the record (refused), then its events one at a time, then the next record of the entity.
    expect(calls).toEqual([[a1, bad, a3, later], [a1, bad, a3], [a1], [bad], [a3], [later]]);
    expect(outcome.poisoned).toEqual([
      { messageId: 'm1', eventId: bad.id, eventIndex: 1, reason: expect.stringContaining('22P05') },
    ]);
    expect(parked).toEqual([
      {
        groupId: 'robot:a',
        deduplicationId: 'm1:1',
        body: expect.any(String),
        reason: 'the store refused the event: unsupported Unicode escape sequence (22P05)',
        originalMessageId: 'm1',
      },
    ]);
    expect(JSON.parse(parked[0]!.body)).toEqual({
      format: DEAD_LETTER_FORMAT,
      kind: 'event',
      reason: 'the store refused the event: unsupported Unicode escape sequence (22P05)',
      sqlState: '22P05',
      messageId: 'm1',
      groupId: 'robot:a',
      eventIndex: 1,
      event: bad,
    });
    expect(readDeadLetter(parked[0]!.body)).toEqual({ ...JSON.parse(parked[0]!.body), event: bad });
  });

  it('a refused record of one event is dead-lettered without asking the store again', async () => {
    const bad = event('robot:a');
    const { store, calls } = fakeStore(failing(new Set([bad.id]), () => refused()));
    const { deadLetters, parked } = fakeDeadLetters();
    await writeBatch([record('m1', [bad])], { store, deadLetters });
    // The batch, then the record: not a third time for its only event.
    expect(calls).toEqual([[bad], [bad]]);
    expect(parked.map((p) => p.deduplicationId)).toEqual(['m1:0']);
  });

  it.each(['55000', '55P03', '40001', '40P01', '08006', '57P01'])(
    'a transient error (%s) on a record of several events fails it and its entity, dead-letters nothing',
    async (code) => {
      const a1 = event('robot:a');
      const a2 = event('robot:a');
      const later = event('robot:a');
      const { store, rows } = fakeStore(failing(new Set([a2.id]), () => new PgError('try again', code)));
      const { deadLetters, parked } = fakeDeadLetters();
      const outcome = await writeBatch([record('m1', [a1, a2]), record('m2', [later])], { store, deadLetters });
      expect(outcome.failedMessageIds).toEqual(['m1', 'm2']);
      expect(parked).toEqual([]);
      expect(rows).toEqual([]);
    },
  );

  it('dead-letters each refused event as its own message, in order', async () => {
    const events = [event('robot:a'), event('robot:a'), event('robot:a'), event('robot:a')];
    const { store, rows } = fakeStore(failing(new Set([events[0]!.id, events[2]!.id]), () => refused('22021')));
    const { deadLetters, parked } = fakeDeadLetters();
    const outcome = await writeBatch([record('m1', events)], { store, deadLetters });
    expect(rows).toEqual([events[1], events[3]]);
    expect(parked.map((p) => p.deduplicationId)).toEqual(['m1:0', 'm1:2']);
    expect(parked.map((p) => (readDeadLetter(p.body) as { event: StoredEvent }).event.id)).toEqual([
      events[0]!.id,
      events[2]!.id,
    ]);
    expect(outcome.failedMessageIds).toEqual([]);
  });

  it('runs afterStored on the stored events of a partly refused record only', async () => {
    const a1 = event('robot:a', 'CRITICAL');
    const bad = event('robot:a', 'CRITICAL');
    const { store } = fakeStore(failing(new Set([bad.id]), () => refused()));
    const { deadLetters } = fakeDeadLetters();
    const seen: StoredEvent[][] = [];
    await writeBatch([record('m1', [a1, bad])], {
      store,
      deadLetters,
      afterStored: async (events) => {
        seen.push([...events]);
      },
    });
    expect(seen).toEqual([[a1]]);
  });

  it('a failed CHECK naming its constraint (23514) is refused data; 23514 without one (no partition) is transient', async () => {
    const a1 = event('robot:a');
    const bad = event('robot:a');
    const check = fakeStore(
      failing(new Set([bad.id]), () => new PgError('violates check constraint', '23514', 'events_payload_check')),
    );
    const dlq = fakeDeadLetters();
    const outcome = await writeBatch([record('m1', [a1, bad])], { store: check.store, deadLetters: dlq.deadLetters });
    expect(outcome.failedMessageIds).toEqual([]);
    expect(check.rows).toEqual([a1]);
    expect(dlq.parked.map((p) => p.deduplicationId)).toEqual(['m1:1']);

    const noPartition = fakeStore(failing(new Set([bad.id]), () => new PgError('no partition of relation', '23514')));
    const empty = fakeDeadLetters();
    const again = await writeBatch([record('m2', [a1, bad])], {
      store: noPartition.store,
      deadLetters: empty.deadLetters,
    });
    expect(again.failedMessageIds).toEqual(['m2']);
    expect(empty.parked).toEqual([]);
  });

  it('a transient failure while retrying event by event fails the record (and the later records of its entity), dead-letters nothing after it', async () => {
    const a1 = event('robot:a');
    const bad = event('robot:a');
    const a3 = event('robot:a');
    const later = event('robot:a');
    const other = event('sensor:b');
    // The record is refused as a whole; retried alone, its second event hits a serialization failure.
    const { store, calls, rows } = fakeStore((events) => {
      if (!events.some((e) => e.id === bad.id)) return undefined;
      return events.length > 1 ? refused() : new PgError('could not serialize access', '40001');
    });
    const { deadLetters, parked } = fakeDeadLetters();
    const outcome = await writeBatch([record('m1', [a1, bad, a3]), record('m2', [other]), record('m3', [later])], {
      store,
      deadLetters,
    });
    expect(outcome.failedMessageIds).toEqual(['m1', 'm3']);
    expect(parked).toEqual([]);
    expect(outcome.poisoned).toEqual([]);
    expect(rows).toEqual([a1, other]);
    // a3 is never tried (it would jump ahead of the event SQS redelivers), nor is m3.
    expect(calls.slice(2)).toEqual([[a1], [bad], [other]]);
    // a1 is in the store and counted now; the record is redelivered, so it is not in `stored` yet.
    expect(outcome.inserted).toEqual([a1, other]);
    expect(outcome.stored).toEqual([other]);
  });

  it('a refused event the DLQ cannot take fails its record (SQS redelivers it); the good events are stored', async () => {
    const a1 = event('robot:a');
    const bad = event('robot:a');
    const a3 = event('robot:a');
    const { store, rows } = fakeStore(failing(new Set([bad.id]), () => refused()));
    const { deadLetters } = fakeDeadLetters(new Error('DLQ throttled'));
    const outcome = await writeBatch([record('m1', [a1, bad, a3])], { store, deadLetters });
    expect(outcome.failedMessageIds).toEqual(['m1']);
    expect(outcome.poisoned).toEqual([]);
    expect(rows).toEqual([a1, a3]);
  });

  it('a redelivered partly refused record inserts (and counts) nothing new, and sends the same dead letter', async () => {
    const a1 = event('robot:a');
    const bad = event('robot:a');
    const { store, rows } = fakeStore(failing(new Set([bad.id]), () => refused()));
    const { deadLetters, parked } = fakeDeadLetters();
    const records = [record('m1', [a1, bad])];
    expect((await writeBatch(records, { store, deadLetters })).inserted).toEqual([a1]);
    const again = await writeBatch(records, { store, deadLetters });
    expect(again.inserted).toEqual([]);
    expect(again.stored).toEqual([a1]);
    expect(rows).toEqual([a1]);
    // Same deduplication id: the FIFO DLQ drops the second within its 5-minute deduplication window.
    expect(parked.map((p) => p.deduplicationId)).toEqual(['m1:1', 'm1:1']);
  });
});

describe('readDeadLetter tells the three kinds of DLQ message apart', () => {
  it('an event dead letter, an unparseable message parked whole, a message SQS redrove', () => {
    const bad = event('robot:a');
    const letter = {
      format: DEAD_LETTER_FORMAT,
      kind: 'event',
      reason: 'the store refused the event: x (22P05)',
      sqlState: '22P05',
      messageId: 'm1',
      groupId: 'robot:a',
      eventIndex: 0,
      event: bad,
    };
    expect(readDeadLetter(JSON.stringify(letter), { reason: 'r', originalMessageId: 'm1' })).toEqual(letter);
    expect(readDeadLetter('not json', { reason: 'body is not JSON', originalMessageId: 'm2' })).toEqual({
      kind: 'message',
      body: 'not json',
      reason: 'body is not JSON',
      messageId: 'm2',
    });
    const raw = JSON.stringify({ events: [bad] });
    expect(readDeadLetter(raw)).toEqual({ kind: 'redriven', body: raw });
    expect(() => readDeadLetter(JSON.stringify({ ...letter, sqlState: undefined }))).toThrow();
  });
});

describe('writeBatch: an event under an id that names another event is refused as a dead letter', () => {
  it('dead-letters it with the reason and stores the rest of its record and batch, in order', async () => {
    const first = event('robot:a');
    const { store, rows } = fakeStore();
    const { deadLetters, parked } = fakeDeadLetters();
    await writeBatch([record('m0', [first])], { store, deadLetters });

    const reused = eventAbout('sensor:b', { id: first.id, occurredAt: '2026-06-01T00:00:00.000Z' });
    const b1 = event('sensor:b');
    const b2 = event('sensor:b');
    const a2 = event('robot:a');
    const outcome = await writeBatch([record('m1', [b1, reused, b2]), record('m2', [a2])], { store, deadLetters });

    expect(outcome.failedMessageIds).toEqual([]);
    expect(rows).toEqual([first, b1, b2, a2]);
    expect(outcome.stored).toEqual([b1, b2, a2]);
    expect(outcome.inserted).toEqual([b1, b2, a2]);
    const reason = `id ${first.id} is already stored with different content (the stored event occurred at ${first.occurredAt}): an id names one event, forever; send a new event under a new id`;
    expect(outcome.poisoned).toEqual([{ messageId: 'm1', eventId: first.id, eventIndex: 1, reason }]);
    expect(parked.map((p) => [p.groupId, p.deduplicationId, p.reason])).toEqual([['sensor:b', 'm1:1', reason]]);
    expect(readDeadLetter(parked[0]!.body)).toEqual({
      format: DEAD_LETTER_FORMAT,
      kind: 'event',
      reason,
      sqlState: '23505',
      messageId: 'm1',
      groupId: 'sensor:b',
      eventIndex: 1,
      event: reused,
    });
  });

  it('a resend of the stored event is a no-op, not a dead letter', async () => {
    const first = event('robot:a');
    const { store } = fakeStore();
    const { deadLetters, parked } = fakeDeadLetters();
    await writeBatch([record('m0', [first])], { store, deadLetters });
    const again = await writeBatch([record('m1', [{ ...first, receivedAt: '2026-05-10T12:09:00.000Z' }])], {
      store,
      deadLetters,
    });
    expect(again).toMatchObject({ failedMessageIds: [], inserted: [], poisoned: [] });
    expect(parked).toEqual([]);
  });

  it('is refused the same way when the batch is retried record by record, or event by event', async () => {
    const first = event('robot:a');
    const { store } = fakeStore((events) => (events.length > 1 ? new PgError('deadlock', '40P01') : undefined));
    const { deadLetters, parked } = fakeDeadLetters();
    await writeBatch([record('m0', [first])], { store, deadLetters });
    const reused = eventAbout('sensor:b', { id: first.id, payload: { other: true } });
    const b1 = event('sensor:b');
    const outcome = await writeBatch([record('m1', [reused]), record('m2', [b1])], { store, deadLetters });
    expect(outcome).toMatchObject({ failedMessageIds: [], stored: [b1], inserted: [b1] });
    expect(parked.map((p) => p.deduplicationId)).toEqual(['m1:0']);
  });

  it('when the DLQ cannot take it, its record is reported failed; the entity is not blocked', async () => {
    const first = event('robot:a');
    const { store } = fakeStore();
    await writeBatch([record('m0', [first])], { store, deadLetters: fakeDeadLetters().deadLetters });
    const reused = eventAbout('sensor:b', { id: first.id });
    const b1 = event('sensor:b');
    const { deadLetters } = fakeDeadLetters(new Error('throttled'));
    const outcome = await writeBatch([record('m1', [b1, reused]), record('m2', [event('sensor:b')])], {
      store,
      deadLetters,
    });
    expect(outcome.failedMessageIds).toEqual(['m1']);
    expect(outcome.poisoned).toEqual([]);
    expect(outcome.stored.map((e) => e.entity.id)).toEqual(['b']);
    expect(outcome.stored).not.toContainEqual(b1);
  });
});
