import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createIngestHttpHandler } from '../../shared/apps/ingest-http.ts';
import { createIngestIotHandler } from '../../shared/apps/ingest-iot.ts';
import { FLEET_EMITTERS } from '../../shared/core/access/emitters.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { MAX_NESTING_DEPTH } from '../../shared/core/domain/storable.ts';
import type { QueueMessageBody } from '../../shared/core/ingest/packing.ts';
import type { QueueMessage } from '../../shared/core/ports/events.ts';
import { writeBatch } from '../../shared/core/writer/write-batch.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { operatorPost } from '../support/http-events.ts';

/**
 * Storable or refused, as a property: for arbitrary events (full-Unicode strings and keys, NUL, lone surrogates,
 * non-characters, emoji, deep nesting, odd numbers), POST /events answers 202 or 400, never 5xx; what it accepts, the
 * writer stores in the real PostgreSQL and reads back equal; what it refuses has a reason with index and path.
 */

const RECEIVED_AT = new Date('2026-05-10T12:00:00Z');
/** A type whose payload is any JSON object, so that only storability decides. */
const ANY = 'lab.sample.taken';
const catalog = createCatalog([
  {
    type: ANY,
    defaultSeverity: 'INFO',
    description: 'any payload',
    payload: z.looseObject({}),
    emitters: FLEET_EMITTERS,
  },
]);

/** Characters the store or SQS cannot take, and neighbours it can, mixed into otherwise arbitrary code points. */
const SPECIAL = [
  '\u0000',
  '\u0001',
  '\t',
  '\n',
  '\u001f',
  '\u007f',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ud7ff',
  '\ue000',
  '\ufdcf',
  '\ufdd0',
  '\ufdef',
  '\ufdf0',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '😀',
  '👩‍🔧',
  '\u{1fffe}',
  '\u{10fffd}',
  '\u{10ffff}',
  '"',
  '\\',
  '__proto__',
  'é',
];
const unit = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
);
const text = (maxLength = 12) => fc.string({ unit, maxLength });

/** JSON values whose strings and keys are drawn from `unit`; numbers include the extremes of a double. */
const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    text(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text(6), tie('value'), { maxKeys: 4 }),
  ),
}));
/** A chain of objects `levels` deep around a value: around MAX_NESTING_DEPTH, to cross the limit both ways. */
const deep = fc
  .tuple(fc.integer({ min: MAX_NESTING_DEPTH - 3, max: MAX_NESTING_DEPTH + 2 }), jsonValue)
  .map(([levels, leaf]) => {
    let value: unknown = leaf;
    for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { n: value } : [value];
    return value;
  });
const payload = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(text(8), jsonValue, { maxKeys: 5 }) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).map((json) => ({ json: JSON.parse(json) as unknown })) },
  { weight: 1, arbitrary: deep.map((value) => ({ deep: value })) },
);
const entityId = fc.oneof(fc.constantFrom('r-17', 'c-"q"\\{b},'), fc.string({ unit, minLength: 1, maxLength: 8 }));
const event = fc.record(
  {
    type: fc.oneof({ weight: 5, arbitrary: fc.constant(ANY) }, { weight: 1, arbitrary: text() }),
    entity: fc.record({ type: fc.constantFrom('robot', 'bay'), id: entityId }),
    related: fc.array(fc.record({ type: fc.constant('line'), id: entityId }), { maxLength: 2 }),
    payload,
  },
  { requiredKeys: ['type', 'entity'] },
);

/** JSON with object keys sorted: jsonb keeps no key order (nor duplicate keys, which JSON.parse has already merged). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

type Sent = { type: string; entity: { id: string }; related?: unknown[]; payload?: unknown };
type Issue = { index: number; path: string; message: string };

describe('storable or refused (property, real PostgreSQL)', () => {
  let db: TestDatabase;
  let store: PgEventStore;
  beforeAll(async () => {
    db = await createTestDatabase('storable');
    store = new PgEventStore(db.pool);
  });
  afterAll(() => db?.drop());

  /** A refusal names, for events of the request, where and why. */
  function expectReasons(issues: readonly Issue[], count: number) {
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.index).toBeGreaterThanOrEqual(0);
      expect(issue.index).toBeLessThan(count);
      expect(issue.path).toMatch(/\S/);
      expect(issue.message).toMatch(/\S/);
    }
  }

  /** The writer's own path (parse each message as the writer does, insert through PgEventStore), then read back. */
  async function expectStoredAsSent(messages: readonly QueueMessage[], ids: readonly string[], sent: readonly Sent[]) {
    const poisoned: string[] = [];
    const outcome = await writeBatch(
      messages.map((message, i) => ({ messageId: String(i), ...message })),
      { store, deadLetters: { sendPoison: async ({ reason }) => void poisoned.push(reason) } },
    );
    expect(poisoned).toEqual([]);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.inserted.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(messages.flatMap((m) => (JSON.parse(m.body) as QueueMessageBody).events.map((e) => e.id)).sort()).toEqual(
      [...ids].sort(),
    );

    const { rows } = await db.pool.query<{
      id: string;
      type: string;
      entity_id: string;
      related: string;
      payload: string;
    }>(
      'SELECT id::text, type, entity_id, related::text AS related, payload::text AS payload FROM events WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(rows).toHaveLength(sent.length);
    const byId = new Map(rows.map((row) => [row.id, row]));
    sent.forEach((input, i) => {
      const row = byId.get(ids[i]!);
      expect(row).toBeDefined();
      expect(row!.type).toBe(input.type);
      expect(row!.entity_id).toBe(input.entity.id);
      expect(canonical(JSON.parse(row!.related))).toBe(canonical(input.related ?? []));
      expect(canonical(JSON.parse(row!.payload))).toBe(canonical(input.payload ?? {}));
    });
  }

  const recording = (messages: QueueMessage[]) => ({
    send: async (batch: readonly QueueMessage[]) => void messages.push(...batch),
  });

  it('HTTP answers 202 or 400; what is accepted is stored and read back equal, what is refused says where and why', async () => {
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 3 }), async (events) => {
        const body = JSON.stringify(events);
        // What the client means: its JSON as any reader parses it.
        const sent = JSON.parse(body) as Sent[];
        const messages: QueueMessage[] = [];
        const handle = createIngestHttpHandler({ queue: recording(messages), catalog, clock: () => RECEIVED_AT });
        const response = await handle(operatorPost(body));
        const answer = JSON.parse(response.body as string);
        expect([202, 400]).toContain(response.statusCode);
        if (response.statusCode === 400) {
          outcomes.refused++;
          expect(messages).toEqual([]);
          expectReasons(answer.issues, events.length);
          return;
        }
        outcomes.accepted++;
        await expectStoredAsSent(messages, answer.ids, sent);
      }),
      { seed: 20261201, numRuns: 250, endOnFailure: true },
    );
    // The generator reaches both sides, or the property proved little.
    expect(outcomes.accepted).toBeGreaterThan(25);
    expect(outcomes.refused).toBeGreaterThan(25);
  });

  it('MQTT accepts or rejects with reasons, never throws; what is accepted is stored and read back equal', async () => {
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 3 }), async (events) => {
        const text = JSON.stringify({ events });
        const sent = (JSON.parse(text) as { events: Sent[] }).events;
        const messages: QueueMessage[] = [];
        const handle = createIngestIotHandler({ queue: recording(messages), catalog });
        const result = await handle({
          payload: Buffer.from(text).toString('base64'),
          thing: 'r-17',
          clientId: 'r-17-conn',
          receivedAt: RECEIVED_AT.getTime(),
        });
        if ('rejected' in result) {
          outcomes.refused++;
          expect(messages).toEqual([]);
          expect(result.rejected).toMatch(/\S/);
          expectReasons(result.issues, events.length);
          return;
        }
        outcomes.accepted++;
        await expectStoredAsSent(messages, result.accepted, sent);
      }),
      { seed: 20261202, numRuns: 150, endOnFailure: true },
    );
    expect(outcomes.accepted).toBeGreaterThan(15);
    expect(outcomes.refused).toBeGreaterThan(15);
  });
});
