import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { composeSinkClients } from '../../shared/apps/forwarder.ts';
import { forwardAll } from '../../shared/apps/streams/forward-all.ts';
import type { SinkSpec } from '../../shared/core/streams/sinks.ts';
import { insertEvents, monthEvents } from '../lifecycle/fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { type SinkReceiver, startSinkReceiver } from '../support/sink-receiver.ts';

/**
 * A sink that had not got a month's events when archival dropped it: each such seq is dead-lettered with the reason,
 * the others (and a late event stored for the dropped month afterwards) are delivered, in seq order, none skipped.
 */
describe('a sink behind the archival', () => {
  let db: TestDatabase;
  let receiver: SinkReceiver;
  let dir: string;
  const sink: SinkSpec = { name: 'late-hook', kind: 'webhook', url: '' };
  const clock = () => new Date('2025-02-10T00:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase('sink_archived');
    receiver = await startSinkReceiver();
    sink.url = `${receiver.url}/hook`;
    dir = await mkdtemp(join(tmpdir(), 'sink-archived-'));
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('dead-letters the dropped events by seq with the reason, delivers the rest, skips none', async () => {
    const january = monthEvents({ year: 2024, month: 1 }, 8, 'jan');
    const march = monthEvents({ year: 2024, month: 3 }, 5, 'mar');
    await insertEvents(db.pool, [...january, ...march]);
    const result = await runMaintenance(
      { pool: db.pool, store: new FileObjectStore(join(dir, 'archive')) },
      { now: clock(), retentionMonths: 12, premakeMonths: 0, workDir: join(dir, 'work') },
    );
    expect(result.dropped).toEqual(['2024-01']);
    const late = eventAbout('robot:r-1', {
      occurredAt: '2024-01-20T10:00:00.000Z',
      receivedAt: '2025-02-09T10:00:00.000Z',
    });
    await insertEvents(db.pool, [late]);

    const pool = createPool({ connectionString: db.forwarderUrl, max: 2 });
    try {
      const client = composeSinkClients({ sinks: [sink], secrets: async () => 'k'.repeat(43), serviceName: 'test' });
      const { rounds } = await forwardAll({ pool, sinks: [sink], client, clock }, { batchSize: 4, maxRoundMs: 60_000 });
      expect(rounds[0]).toMatchObject({ delivered: 6, deadLettered: 8, nextSeq: 14, caughtUp: true });
    } finally {
      await pool.end();
    }
    const { rows: log } = await db.pool.query<{ seq: string; event_id: string }>(
      'SELECT seq::text, event_id::text FROM event_log ORDER BY seq',
    );
    const seqOf = new Map(log.map((row) => [row.event_id, Number(row.seq)]));
    const { rows: letters } = await db.pool.query<{ seq: string; event_id: string; reason: string }>(
      `SELECT seq::text, event_id::text, reason FROM sink_dead_letters WHERE sink = 'late-hook' ORDER BY seq`,
    );
    expect(letters.map((l) => l.event_id).sort()).toEqual(january.map((e) => e.id).sort());
    expect(letters.every((l) => /archived/.test(l.reason))).toBe(true);
    const delivered = receiver.requests
      .filter((r) => r.status === 200)
      .flatMap((r) => (JSON.parse(r.body.toString()) as { events: { seq: number; id: string }[] }).events);
    expect(delivered.map((e) => e.id).sort()).toEqual([...march, late].map((e) => e.id).sort());
    // Every seq once, delivered or dead-lettered, and what was delivered went out in seq order.
    const seqs = [...delivered.map((e) => e.seq), ...letters.map((l) => Number(l.seq))].sort((a, b) => a - b);
    expect(seqs).toEqual([...Array(14).keys()]);
    expect(delivered.map((e) => e.seq)).toEqual([...delivered.map((e) => e.seq)].sort((a, b) => a - b));
    expect(delivered.every((e) => seqOf.get(e.id) === e.seq)).toBe(true);
  });
});
