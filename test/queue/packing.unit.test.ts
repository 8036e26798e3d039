import { describe, expect, it } from 'vitest';
import {
  chunkBatch,
  deduplicationIdFor,
  escapeForQueue,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  MAX_MESSAGE_BYTES,
  packEvents,
  planSendRounds,
  type QueueMessageBody,
} from '../../shared/core/ingest/packing.ts';
import type { QueueMessage } from '../../shared/core/ports/events.ts';
import { eventAbout } from '../support/events.ts';

const event = (entity: string, payload: Record<string, unknown> = {}) => eventAbout(entity, { payload });

const bodyOf = (message: QueueMessage) => JSON.parse(message.body) as QueueMessageBody;
const idsOf = (message: QueueMessage) => bodyOf(message).events.map((e) => e.id);

function message(groupId: string, label: string, bodyBytes = 10): QueueMessage {
  return { groupId, deduplicationId: `${groupId}/${label}`, body: label.padEnd(bodyBytes, '.') };
}

describe('packEvents', () => {
  it('groups events by entity key, one message per entity when small', () => {
    const events = [event('robot:r-1'), event('sensor:s-1'), event('robot:r-1'), event('robot:r-2')];
    const messages = packEvents(events);
    expect(messages.map((m) => m.groupId)).toEqual(['robot:r-1', 'sensor:s-1', 'robot:r-2']);
    expect(idsOf(messages[0]!)).toEqual([events[0]!.id, events[2]!.id]);
    expect(idsOf(messages[1]!)).toEqual([events[1]!.id]);
    expect(idsOf(messages[2]!)).toEqual([events[3]!.id]);
  });

  it('the body carries the events unchanged', () => {
    const events = [event('robot:r-1', { reason: 'boot' }), event('robot:r-1')];
    expect(bodyOf(packEvents(events)[0]!)).toEqual({ events });
  });

  it('the body is exactly the escaped JSON of { events }, emoji and escapes included', () => {
    const events = [
      event('robot:r-1', { note: 'hot 🔥', quote: '"\\', nested: { list: [1, 'ß', null] } }),
      event('robot:r-1', { when: '𝟘 late' }),
    ];
    const [packed] = packEvents(events);
    expect(packed!.body).toBe(escapeForQueue(JSON.stringify({ events })));
    expect(packed!.body).not.toMatch(/[\u{10000}-\u{10FFFF}]/u);
  });

  it('every event appears exactly once', () => {
    const events = Array.from({ length: 50 }, (_, i) => event(`robot:r-${i % 7}`));
    const packed = packEvents(events, 1500).flatMap(idsOf);
    expect(packed.sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('nothing in, nothing out', () => {
    expect(packEvents([])).toEqual([]);
  });

  it('splits a group under maxBytes, keeping the entity order across messages', () => {
    const events = Array.from({ length: 20 }, (_, i) => event('robot:r-1', { reason: `step ${i}` }));
    const eventBytes = Buffer.byteLength(JSON.stringify(events[0]));
    const maxBytes = eventBytes * 3 + 40;
    const messages = packEvents(events, maxBytes);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.groupId).toBe('robot:r-1');
      expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(maxBytes);
      expect(idsOf(m).length).toBeGreaterThan(0);
    }
    expect(messages.flatMap(idsOf)).toEqual(events.map((e) => e.id));
  });

  it('fills messages as far as the limit allows (exact fit)', () => {
    const events = [event('robot:r-1'), event('robot:r-1'), event('robot:r-1')];
    const twoEventBody = Buffer.byteLength(JSON.stringify({ events: events.slice(0, 2) }));
    // Room for two events and the packer's one byte of slack, not for three.
    const messages = packEvents(events, twoEventBody + 1);
    expect(messages.map((m) => idsOf(m).length)).toEqual([2, 1]);
  });

  it('an event bigger than maxBytes still travels, alone', () => {
    const events = [event('robot:r-1'), event('robot:r-1', { blob: 'x'.repeat(2000) }), event('robot:r-1')];
    const messages = packEvents(events, 1000);
    expect(messages.map(idsOf)).toEqual([[events[0]!.id], [events[1]!.id], [events[2]!.id]]);
  });

  it('the default limit keeps messages under SQS 256 KiB', () => {
    expect(MAX_MESSAGE_BYTES).toBeLessThan(256 * 1024);
    const events = Array.from({ length: 40 }, () => event('robot:r-1', { blob: 'y'.repeat(20_000) }));
    const messages = packEvents(events);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });

  it('each message gets the dedup id of its own events', () => {
    const events = Array.from({ length: 6 }, () => event('robot:r-1', { blob: 'z'.repeat(300) }));
    const messages = packEvents(events, 1200);
    for (const m of messages) expect(m.deduplicationId).toBe(deduplicationIdFor(bodyOf(m).events));
    expect(new Set(messages.map((m) => m.deduplicationId)).size).toBe(messages.length);
  });
});

describe('deduplicationIdFor', () => {
  const a = event('robot:r-1');
  const b = event('robot:r-1');

  it('is deterministic for the same events', () => {
    expect(deduplicationIdFor([a, b])).toBe(deduplicationIdFor([{ ...a }, { ...b }]));
    expect(packEvents([a, b])[0]?.deduplicationId).toBe(packEvents([a, b])[0]?.deduplicationId);
  });

  it('is the same for a resend: another receive time, client id or address, or id case', () => {
    const resend = {
      ...a,
      id: a.id.toUpperCase(),
      receivedAt: '2026-05-10T12:05:00.000Z',
      source: { ...a.source, clientId: 'reconnected', ip: '198.51.100.1' },
    };
    expect(deduplicationIdFor([resend])).toBe(deduplicationIdFor([a]));
  });

  it('differs for the same id with other content, so SQS cannot drop it as a duplicate', () => {
    const reused = [
      { ...a, entity: { type: 'robot', id: 'r-2' } },
      { ...a, occurredAt: '2026-05-10T12:00:00.001Z' },
      { ...a, payload: { reason: 'other' } },
      { ...a, source: { channel: 'http' as const, principal: 'mallory' } },
    ];
    for (const other of reused) expect(deduplicationIdFor([other])).not.toBe(deduplicationIdFor([a]));
  });

  it('differs for different events, different order and different grouping', () => {
    const ids = [
      deduplicationIdFor([a]),
      deduplicationIdFor([b]),
      deduplicationIdFor([a, b]),
      deduplicationIdFor([b, a]),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is a valid SQS MessageDeduplicationId (≤128 chars, allowed characters)', () => {
    expect(deduplicationIdFor([a, b])).toMatch(/^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/);
  });
});

describe('planSendRounds', () => {
  it('puts at most one message per group in a round and keeps each group in order', () => {
    const messages = [
      message('robot:r-1', 'a1'),
      message('robot:r-1', 'a2'),
      message('sensor:s-1', 'b1'),
      message('robot:r-1', 'a3'),
      message('robot:r-2', 'c1'),
      message('sensor:s-1', 'b2'),
    ];
    const rounds = planSendRounds(messages);
    for (const round of rounds) {
      const groups = round.map((m) => m.groupId);
      expect(new Set(groups).size).toBe(groups.length);
    }
    expect(rounds.map((round) => round.map((m) => m.deduplicationId))).toEqual([
      ['robot:r-1/a1', 'sensor:s-1/b1', 'robot:r-2/c1'],
      ['robot:r-1/a2', 'sensor:s-1/b2'],
      ['robot:r-1/a3'],
    ]);
  });

  it('many groups with one message each go in a single round', () => {
    const messages = Array.from({ length: 25 }, (_, i) => message(`robot:r-${i}`, 'x'));
    expect(planSendRounds(messages)).toEqual([messages]);
  });

  it('keeps every message, and none in nothing', () => {
    expect(planSendRounds([])).toEqual([]);
    const messages = Array.from({ length: 30 }, (_, i) => message(`g-${i % 4}`, `m${i}`));
    expect(
      planSendRounds(messages)
        .flat()
        .map((m) => m.deduplicationId)
        .sort(),
    ).toEqual(messages.map((m) => m.deduplicationId).sort());
  });
});

describe('chunkBatch', () => {
  it('at most 10 entries per SendMessageBatch, order kept', () => {
    const messages = Array.from({ length: 23 }, (_, i) => message(`g-${i}`, `m${i}`));
    const batches = chunkBatch(messages);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(messages);
    expect(MAX_BATCH_ENTRIES).toBe(10);
  });

  it('at most 256 KiB of bodies per call', () => {
    const size = 100 * 1024;
    const messages = Array.from({ length: 5 }, (_, i) => message(`g-${i}`, `m${i}`, size));
    const batches = chunkBatch(messages);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const batch of batches) {
      expect(batch.reduce((sum, m) => sum + Buffer.byteLength(m.body), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
  });

  it('exactly 256 KiB fits in one call', () => {
    const half = MAX_BATCH_BYTES / 2;
    expect(chunkBatch([message('a', 'a', half), message('b', 'b', half)]).map((b) => b.length)).toEqual([2]);
    expect(chunkBatch([message('a', 'a', half), message('b', 'b', half + 1)]).map((b) => b.length)).toEqual([1, 1]);
  });

  it('counts bytes, not characters', () => {
    const body = 'é'.repeat(70 * 1024); // 140 KiB of UTF-8
    const messages = [0, 1].map((i) => ({ groupId: `g-${i}`, deduplicationId: `d-${i}`, body }));
    expect(chunkBatch(messages).map((b) => b.length)).toEqual([1, 1]);
  });

  it('empty in, empty out', () => {
    expect(chunkBatch([])).toEqual([]);
  });
});
