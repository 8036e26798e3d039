import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgSinkStore } from '../../shared/adapters/postgres/pg-sink-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { sinkStatuses } from '../../shared/adapters/postgres/sink-status.ts';
import { composeSinkClients } from '../../shared/apps/forwarder.ts';
import { forwardAll } from '../../shared/apps/streams/forward-all.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { BACKOFF_MAX_MS } from '../../shared/core/streams/delivery.ts';
import type { SinkSpec } from '../../shared/core/streams/sinks.ts';
import { verifyWebhook, WEBHOOK_HEADERS } from '../../shared/core/streams/webhook.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { sealAll } from '../support/seal-all.ts';
import { type ReceivedRequest, type SinkReceiver, startSinkReceiver } from '../support/sink-receiver.ts';

const KEY = 'k'.repeat(43);

/** The seqs a webhook request carried, in body order. */
const seqsOf = (request: ReceivedRequest): number[] =>
  (JSON.parse(request.body.toString()) as { events: { seq: number }[] }).events.map((event) => event.seq);

describe('the forwarder: at-least-once, in log order, across outages and restarts', () => {
  let db: TestDatabase;
  let writer: pg.Pool;
  let receiver: SinkReceiver;
  let sink: SinkSpec;
  const events: StoredEvent[] = [];
  let now = Date.parse('2026-05-10T12:00:00Z');
  const clock = () => new Date(now);

  beforeAll(async () => {
    db = await createTestDatabase('sink_forwarder');
    writer = createPool({ connectionString: db.writerUrl, max: 1 });
    receiver = await startSinkReceiver();
    sink = { name: 'hook', kind: 'webhook', url: `${receiver.url}/hook` };
  });
  afterAll(async () => {
    await writer?.end();
    await receiver?.close();
    await db?.drop();
  });

  /** A forwarder as a fresh process makes it: its own pool and transports; nothing kept but what PostgreSQL holds. */
  const forwarder = () => {
    const pool = createPool({ connectionString: db.forwarderUrl, max: 3 });
    const client = composeSinkClients({ sinks: [sink], secrets: async () => KEY, serviceName: 'test-log' });
    return {
      pool,
      round: (batchSize = 10) => forwardAll({ pool, sinks: [sink], client, clock }, { batchSize, maxRoundMs: 60_000 }),
    };
  };
  const write = async (count: number) => {
    const batch = Array.from({ length: count }, (_, i) => eventAbout(`robot:r-${i % 3}`));
    await new PgEventStore(writer).insert(batch);
    await sealAll(db.pool);
    events.push(...batch);
  };
  /** Seqs the sink took (2xx), each the first time, and whether any seq came before one below it. */
  const accepted = () => receiver.requests.filter((r) => r.status === 200).flatMap(seqsOf);

  it('delivers every sealed event in seq order, signed, and keeps the cursor in PostgreSQL', async () => {
    await write(25);
    const first = forwarder();
    const result = await first.round();
    expect(result.rounds[0]).toMatchObject({
      state: 'ran',
      delivered: 25,
      deadLettered: 0,
      caughtUp: true,
      nextSeq: 25,
    });
    expect(accepted()).toEqual([...Array(25).keys()]);
    // Batches of 10, in order.
    expect(receiver.requests.map(seqsOf).map((seqs) => seqs.length)).toEqual([10, 10, 5]);
    const request = receiver.requests[0]!;
    const body = request.body.toString();
    const ids = (JSON.parse(body) as { events: { id: string }[] }).events.map((e) => e.id);
    expect(ids).toEqual(events.slice(0, 10).map((e) => e.id));
    expect(
      verifyWebhook({
        key: KEY,
        body,
        timestamp: String(request.headers[WEBHOOK_HEADERS.timestamp]),
        signature: String(request.headers[WEBHOOK_HEADERS.signature]),
        nowSeconds: Math.floor(Date.now() / 1000),
      }),
    ).toEqual({ valid: true });
    expect(request.headers[WEBHOOK_HEADERS.delivery]).toBe('hook:0-9');
    const [status] = await sinkStatuses(db.pool, ['hook'], clock());
    expect(status).toMatchObject({ name: 'hook', cursorSeq: 25, headSeq: 25, lagEvents: 0, deadLettered: 0 });
    await first.pool.end();
  });

  it('keeps its place through 5xx answers, backing off, and resumes with the event that failed', async () => {
    await write(12);
    receiver.requests.length = 0;
    receiver.answerWith(() => 503);
    const outage = forwarder();
    const failed = await outage.round();
    expect(failed.rounds[0]).toMatchObject({ delivered: 0, failure: expect.stringMatching(/HTTP 503/), nextSeq: 25 });
    // Backing off: a round before the wait is over sends nothing.
    const during = await outage.round();
    expect(during.rounds[0]?.state).toBe('backoff');
    expect(receiver.requests).toHaveLength(1);
    // A second failure waits longer (1 s, then 2 s, … each with up to 20 % off).
    const cursorAfter = async () =>
      (await db.pool.query('SELECT failures, retry_at FROM sink_cursors WHERE sink = $1', ['hook'])).rows[0];
    const firstWait = (await cursorAfter()).retry_at.getTime() - now;
    now += BACKOFF_MAX_MS;
    await outage.round();
    const secondWait = (await cursorAfter()).retry_at.getTime() - now;
    expect((await cursorAfter()).failures).toBe(2);
    expect(firstWait).toBeGreaterThanOrEqual(800);
    expect(firstWait).toBeLessThanOrEqual(1000);
    expect(secondWait).toBeGreaterThanOrEqual(1600);
    expect(secondWait).toBeLessThanOrEqual(2000);
    const [lagging] = await sinkStatuses(db.pool, ['hook'], clock());
    expect(lagging).toMatchObject({ cursorSeq: 25, headSeq: 37, lagEvents: 12, failures: 2 });
    expect(lagging?.lastError).toMatch(/HTTP 503/);

    receiver.answerWith(() => 200);
    now += BACKOFF_MAX_MS;
    const resumed = await outage.round();
    expect(resumed.rounds[0]).toMatchObject({ delivered: 12, nextSeq: 37, caughtUp: true });
    expect(accepted()).toEqual([...Array(12).keys()].map((i) => 25 + i));
    expect((await cursorAfter()).failures).toBe(0);
    await outage.pool.end();
  });

  it('keeps its place while connections are refused, and across a restart of the forwarder', async () => {
    await write(8);
    receiver.requests.length = 0;
    await receiver.close();
    const before = forwarder();
    const refused = await before.round();
    expect(refused.rounds[0]?.failure).toMatch(/did not answer: ECONNREFUSED/);
    expect(refused.rounds[0]?.nextSeq).toBe(37);
    // The process ends: only PostgreSQL remembers where the sink stands.
    await before.pool.end();
    await receiver.reopen();
    now += BACKOFF_MAX_MS;
    const after = forwarder();
    const resumed = await after.round();
    expect(resumed.rounds[0]).toMatchObject({ delivered: 8, nextSeq: 45 });
    expect(accepted()).toEqual([37, 38, 39, 40, 41, 42, 43, 44]);
    await after.pool.end();
  });

  it('dead-letters the one event a sink refuses with a 4xx, delivers the others in order', async () => {
    await write(6);
    const refusedId = events.at(-3)!.id;
    receiver.requests.length = 0;
    receiver.answerWith((request) => (request.body.toString().includes(refusedId) ? 400 : 200));
    const round = forwarder();
    const result = await round.round();
    expect(result.rounds[0]).toMatchObject({ delivered: 5, deadLettered: 1, nextSeq: 51 });
    // The batch of 6 was refused whole, then sent one by one: 45, 46, 47 taken, 48 refused, 49, 50 taken.
    expect(receiver.requests.map((r) => [seqsOf(r), r.status])).toEqual([
      [[45, 46, 47, 48, 49, 50], 400],
      [[45], 200],
      [[46], 200],
      [[47], 200],
      [[48], 400],
      [[49], 200],
      [[50], 200],
    ]);
    const { rows } = await db.pool.query('SELECT seq::int, event_id::text, reason FROM sink_dead_letters');
    expect(rows).toEqual([{ seq: 48, event_id: refusedId, reason: expect.stringMatching(/^HTTP 400/) }]);
    const [status] = await sinkStatuses(db.pool, ['hook'], clock());
    expect(status).toMatchObject({ cursorSeq: 51, lagEvents: 0, deadLettered: 1 });
    await round.pool.end();
  });

  it('one forwarder at a time per sink: a second one skips it while the first holds it', async () => {
    const [one, two] = [1, 2].map(() => createPool({ connectionString: db.forwarderUrl, max: 1 }));
    try {
      const inner = await new PgSinkStore(one!).withSink('hook', () =>
        new PgSinkStore(two!).withSink('hook', async () => 'ran'),
      );
      expect(inner).toBeUndefined();
      // Released when the first is done: the next round takes it.
      expect(await new PgSinkStore(two!).withSink('hook', async () => 'ran')).toBe('ran');
    } finally {
      await Promise.all([one!.end(), two!.end()]);
    }
  });

  it('replays from a seq: the cursor moves back and the events from there go out again, in order', async () => {
    const owner = new PgSinkStore(db.pool);
    expect(await owner.moveCursor('hook', 40)).toBe(51);
    receiver.requests.length = 0;
    receiver.answerWith(() => 200);
    const round = forwarder();
    const result = await round.round(100);
    expect(result.rounds[0]).toMatchObject({ delivered: 11, nextSeq: 51 });
    expect(accepted()).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    await round.pool.end();
  });

  it('the forwarder user may not write events or change the log', async () => {
    const pool = createPool({ connectionString: db.forwarderUrl, max: 1 });
    try {
      await expect(pool.query('DELETE FROM sink_dead_letters')).rejects.toThrow(/permission denied/);
      await expect(pool.query('UPDATE event_log SET seq = seq')).rejects.toThrow(/permission denied/);
      await expect(pool.query('SELECT * FROM event_ids LIMIT 1')).rejects.toThrow(/permission denied/);
    } finally {
      await pool.end();
    }
  });

  it('trail stream status shows each sink; trail stream replay --from an instant moves the cursor back', async () => {
    vi.stubEnv('DATABASE_URL', db.forwarderUrl);
    vi.stubEnv('SINKS', `webhook:hook=${receiver.url}/hook,otlp=${receiver.url}`);
    try {
      const status = await runTrail(['stream', 'status']);
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/^hook: ok; at seq 51 of 51, 0 behind \(oldest 0 s\); 1 dead-lettered/m);
      // Configured, never run: listed at seq 0.
      expect(status.out).toMatch(/^otlp: ok; at seq 0 of 51, 51 behind/m);
      const json = JSON.parse((await runTrail(['stream', 'status', '--json'])).out);
      expect(json.map((s: { name: string }) => s.name)).toEqual(['hook', 'otlp']);
      // Every event of this file occurred at the same instant: replaying from it starts at seq 0.
      const replay = await runTrail(['stream', 'replay', '--sink', 'hook', '--from', '2026-05-10T12:00:00Z']);
      expect(replay).toMatchObject({
        code: 0,
        out: 'sink hook: the next round delivers from seq 0 on (it was at 51)\n',
      });
      const later = await runTrail(['stream', 'replay', '--sink', 'hook', '--from', '2030-01-01']);
      expect(later.out).toMatch(/from seq 51 on/);
      expect((await runTrail(['stream', 'replay', '--sink', 'hook', '--from', 'soon'])).code).toBe(2);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
