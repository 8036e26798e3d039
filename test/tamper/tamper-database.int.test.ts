import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_COLUMNS,
  type EventRow,
  INSERT_EVENTS_SQL,
  insertParameters,
  rowToEvent,
} from '../../shared/adapters/postgres/event-rows.ts';
import { canonicalize } from '../../shared/core/tamper/canonical-json.ts';
import { signCheckpoint } from '../../shared/core/tamper/checkpoint.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import type { VerificationReport } from '../../shared/core/tamper/verify.ts';
import { monthEvents } from '../lifecycle/fixture.ts';
import { storedEvent } from '../support/events.ts';
import { asSuperuser } from '../support/superuser.ts';
import { testSigner } from '../support/test-signer.ts';
import { type SealedTrail, tamperingCopies } from './sealed-trail.ts';

/**
 * What a database superuser can do with every trigger off, and what verification says of it. One sealed trail is
 * built (3 months of 60 events, a round after each, then 12 empty rounds: checkpoints 0, 1, 2 hold 60, 120 and 180
 * leaves, 3 to 14 the same 180); each test tampers with a copy of it and expects the first finding to name the
 * change: its kind, and the event id, seq or checkpoint number.
 */
const copies = tamperingCopies('tamper_db');
let base: SealedTrail;

beforeAll(async () => {
  base = await copies.build();
  for (const month of [1, 2, 3]) {
    await base.write(monthEvents({ year: 2024, month }, 60, 'tamper'));
    await base.seal();
  }
  for (let i = 0; i < 12; i++) await base.seal();
  const clean = await base.verify();
  expect(clean.findings).toEqual([]);
  expect(clean.checked).toMatchObject({ checkpoints: 15, treeSize: 180, databaseRows: 180 });
}, 120_000);

/** A copy of the trail, tampered with by `work` as the superuser, then verified. */
async function tampered(work: (admin: pg.PoolClient) => Promise<unknown>): Promise<VerificationReport> {
  const trail = await copies.copy();
  await asSuperuser(trail.admin, work);
  return trail.verify();
}

/** The id event_log has at `seq`. */
const idAt = async (admin: pg.PoolClient, seq: number) =>
  (await admin.query<{ id: string }>('SELECT event_id::text AS id FROM event_log WHERE seq = $1', [seq])).rows[0]!.id;

describe('tampering with events and the log in PostgreSQL is found', () => {
  it("an event's payload updated: event-modified, its id and seq", async () => {
    let id = '';
    const report = await tampered(async (admin) => {
      id = await idAt(admin, 70);
      await admin.query(`UPDATE events SET payload = payload || '{"value": 0}' WHERE id = $1`, [id]);
    });
    expect(report.first).toMatchObject({ kind: 'event-modified', seq: 70, id });
    expect(report.findings).toHaveLength(1);
  });

  it("an event's receivedAt updated", async () => {
    let id = '';
    const report = await tampered(async (admin) => {
      id = await idAt(admin, 5);
      await admin.query(`UPDATE events SET received_at = received_at + interval '1 hour' WHERE id = $1`, [id]);
    });
    expect(report.first).toMatchObject({ kind: 'event-modified', seq: 5, id });
  });

  it("an event's occurred_at moved (to another month's partition): modified, not deleted", async () => {
    let id = '';
    const report = await tampered(async (admin) => {
      id = await idAt(admin, 130);
      await admin.query(`UPDATE events SET occurred_at = occurred_at - interval '20 days' WHERE id = $1`, [id]);
    });
    expect(report.first).toMatchObject({ kind: 'event-modified', seq: 130, id });
    expect(report.findings).toHaveLength(1);
  });

  it('a range of sealed events deleted, with their event_log rows: events-deleted, the seq range', async () => {
    const report = await tampered(async (admin) => {
      await admin.query('DELETE FROM events WHERE id IN (SELECT event_id FROM event_log WHERE seq BETWEEN 90 AND 94)');
      await admin.query('DELETE FROM event_log WHERE seq BETWEEN 90 AND 94');
    });
    expect(report.first).toMatchObject({ kind: 'events-deleted', seqs: { from: 90, to: 94 } });
    expect(report.findings).toHaveLength(1);
  });

  it('events deleted, their event_log rows left', async () => {
    const report = await tampered((admin) =>
      admin.query('DELETE FROM events WHERE id IN (SELECT event_id FROM event_log WHERE seq IN (12, 13))'),
    );
    expect(report.first).toMatchObject({ kind: 'events-deleted', seqs: { from: 12, to: 13 } });
  });

  it('a row inserted into events, past the log: row-inserted, its id', async () => {
    const forged = storedEvent({ occurredAt: '2024-02-10T10:00:00.000Z', receivedAt: '2024-02-10T10:00:01.000Z' });
    const report = await tampered((admin) => admin.query(INSERT_EVENTS_SQL, insertParameters([forged])));
    expect(report.first).toMatchObject({ kind: 'row-inserted', id: forged.id });
    expect(report.findings).toHaveLength(1);
  });

  it('a row inserted with its event_ids row placed before the log’s position', async () => {
    const forged = storedEvent({ occurredAt: '2024-01-10T10:00:00.000Z', receivedAt: '2024-01-10T10:00:01.000Z' });
    const report = await tampered(async (admin) => {
      await admin.query(INSERT_EVENTS_SQL, insertParameters([forged]));
      await admin.query(`INSERT INTO event_ids (id, occurred_at, digest, write_xid) VALUES ($1, $2, sha256('x'), 1)`, [
        forged.id,
        forged.occurredAt,
      ]);
    });
    expect(report.first).toMatchObject({ kind: 'row-inserted', id: forged.id });
  });

  it('two event_log rows swapped: rows-reordered, both seqs', async () => {
    const report = await tampered(async (admin) => {
      await admin.query('UPDATE event_log SET seq = 1000000 WHERE seq = 20');
      await admin.query('UPDATE event_log SET seq = 20 WHERE seq = 150');
      await admin.query('UPDATE event_log SET seq = 150 WHERE seq = 1000000');
    });
    expect(report.first).toMatchObject({ kind: 'rows-reordered', seqs: { from: 20, to: 150 } });
    expect(report.findings).toHaveLength(1);
  });

  it('an event updated and its event_log leaf rewritten to match: the archive copy and the signed root keep it', async () => {
    let id = '';
    const report = await tampered(async (admin) => {
      id = await idAt(admin, 100);
      await admin.query(`UPDATE events SET payload = '{"forged": true}' WHERE id = $1`, [id]);
      const { rows } = await admin.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [id]);
      await admin.query('UPDATE event_log SET leaf_hash = $1 WHERE seq = 100', [leafHash(rowToEvent(rows[0]!))]);
    });
    expect(report.first).toMatchObject({ kind: 'event-modified', seq: 100, id });
    expect(report.findings.map((f) => f.kind)).toEqual(['event-modified', 'leaves-tampered']);
  });
});

describe('tampering with checkpoints in PostgreSQL is found', () => {
  it('a checkpoint row deleted: checkpoint-missing, its number', async () => {
    const report = await tampered((admin) => admin.query('DELETE FROM checkpoints WHERE number = 1'));
    expect(report.first).toMatchObject({ kind: 'checkpoint-missing', number: 1 });
    expect(report.findings).toHaveLength(1);
  });

  it('a checkpoint with another root, re-signed with another key: checkpoint-forged, its number', async () => {
    const report = await tampered(async (admin) => {
      const { rows } = await admin.query<{ body: string }>('SELECT body FROM checkpoints WHERE number = 1');
      const body = { ...JSON.parse(rows[0]!.body), rootHash: 'ab'.repeat(32) };
      const forged = await signCheckpoint(body, testSigner());
      await admin.query('UPDATE checkpoints SET body = $1, root_hash = $2, signature = $3 WHERE number = 1', [
        canonicalize(body),
        Buffer.from(body.rootHash, 'hex'),
        Buffer.from(forged.signature, 'base64'),
      ]);
    });
    expect(report.first).toMatchObject({ kind: 'checkpoint-forged', number: 1 });
    expect(report.first!.message).toMatch(/signature is not valid/);
    expect(report.findings).toHaveLength(1);
  });

  it('a root_hash changed under its signed body', async () => {
    const report = await tampered((admin) =>
      admin.query(`UPDATE checkpoints SET root_hash = '\\x${'cd'.repeat(32)}' WHERE number = 0`),
    );
    expect(report.first).toMatchObject({ kind: 'checkpoint-forged', number: 0 });
  });

  it("the log's tail cut back in PostgreSQL (event_log, events, checkpoints) while the archive keeps its copies", async () => {
    const report = await tampered(async (admin) => {
      await admin.query('DELETE FROM events WHERE id IN (SELECT event_id FROM event_log WHERE seq >= 120)');
      await admin.query('DELETE FROM event_log WHERE seq >= 120');
      await admin.query('DELETE FROM checkpoints WHERE number >= 2');
    });
    expect(report.first).toMatchObject({ kind: 'log-truncated', number: 2, seqs: { from: 120, to: 179 } });
    expect(report.findings).toHaveLength(1);
  });
});
