import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventRow, rowToEvent } from '../../shared/adapters/postgres/event-rows.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { severityNumber } from '../../shared/core/domain/severity.ts';
import { canonicalize } from '../../shared/core/tamper/canonical-json.ts';
import { LEAF_VERSION_TAG, leafBytes, leafCanonical, leafHash, leafInput } from '../../shared/core/tamper/leaf.ts';
import { hashLeaf } from '../../shared/core/tamper/merkle.ts';
import { storedEvent } from '../support/events.ts';

const event = storedEvent({
  id: '0196b3a0-0000-7000-8000-00000000abcd',
  type: 'robot.fault',
  severity: 'ERROR',
  entity: { type: 'robot', id: 'r-17' },
  related: [{ type: 'bay', id: 'b-1' }],
  source: { channel: 'iot', principal: 'r-17', clientId: 'r-17-conn', ip: '10.0.0.7' },
  payload: { code: 'E42', detail: { axis: 3, readings: [1.5, -0, 1e21], ok: false } },
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  causationId: '0196b3a0-0000-7000-8000-000000000001',
});
const hex = (e: StoredEvent) => leafHash(e).toString('hex');

describe('the leaf of an event', () => {
  it('is the RFC 6962 leaf hash of the version tag and the canonical JSON of the stored event', () => {
    const bytes = leafBytes(event);
    expect(bytes.subarray(0, LEAF_VERSION_TAG.length).toString()).toBe('fleet-audit-trail/event/v1\n');
    expect(bytes.subarray(LEAF_VERSION_TAG.length).toString()).toBe(canonicalize(leafInput(event)));
    expect(leafHash(event)).toEqual(hashLeaf(bytes));
  });

  it('is the same whatever order the keys came in, at any depth', () => {
    const reordered = {
      causationId: event.causationId,
      spanId: event.spanId,
      traceId: event.traceId,
      payload: { detail: { ok: false, readings: [1.5, 0, 1e21], axis: 3 }, code: 'E42' },
      source: { ip: '10.0.0.7', clientId: 'r-17-conn', principal: 'r-17', channel: 'iot' },
      actor: { id: event.actor.id, type: event.actor.type },
      related: [{ id: 'b-1', type: 'bay' }],
      entity: { id: 'r-17', type: 'robot' },
      receivedAt: event.receivedAt,
      occurredAt: event.occurredAt,
      severity: event.severity,
      type: event.type,
      id: event.id,
    } as StoredEvent;
    expect(hex(reordered)).toBe(hex(event));
  });

  it('is the same after a round trip through JSON, and for the event PostgreSQL gives back (rowToEvent)', () => {
    expect(hex(JSON.parse(JSON.stringify(event)))).toBe(hex(event));
    const row: EventRow = {
      id: event.id,
      type: event.type,
      severity: event.severity,
      severity_number: severityNumber(event.severity),
      occurred_at: new Date(event.occurredAt),
      received_at: new Date(event.receivedAt),
      entity_type: event.entity.type,
      entity_id: event.entity.id,
      related: JSON.parse(JSON.stringify(event.related)),
      actor: `${event.actor.type}:${event.actor.id}`,
      source_channel: event.source.channel,
      source_principal: event.source.principal,
      source_client_id: event.source.clientId ?? null,
      source_ip: event.source.ip ?? null,
      payload: JSON.parse(JSON.stringify(event.payload)),
      trace_id: event.traceId ?? null,
      span_id: event.spanId ?? null,
      causation_id: event.causationId ?? null,
    };
    expect(hex(rowToEvent(row))).toBe(hex(event));
  });

  it('does not depend on how equal values are spelled: upper-case uuids, an instant without milliseconds', () => {
    const spelled = {
      ...event,
      id: event.id.toUpperCase(),
      causationId: event.causationId!.toUpperCase(),
      occurredAt: '2026-05-10T12:00:00Z',
    };
    expect(hex(spelled)).toBe(hex(event));
  });

  it.each<[string, Partial<StoredEvent>]>([
    ['id', { id: '0196b3a0-0000-7000-8000-00000000abce' }],
    ['type', { type: 'robot.offline' }],
    ['severity', { severity: 'WARNING' }],
    ['occurredAt', { occurredAt: '2026-05-10T12:00:00.001Z' }],
    ['receivedAt', { receivedAt: '2026-05-10T12:00:01.001Z' }],
    ['entity.type', { entity: { type: 'agv', id: 'r-17' } }],
    ['entity.id', { entity: { type: 'robot', id: 'r-18' } }],
    ['related', { related: [{ type: 'bay', id: 'b-2' }] }],
    ['related (a member added inside)', { related: [{ type: 'bay', id: 'b-1', note: 'x' } as never] }],
    ['related (emptied)', { related: [] }],
    ['actor.type', { actor: { type: 'service', id: 'r-17' } }],
    ['actor.id', { actor: { type: 'device', id: 'r-18' } }],
    ['source.channel', { source: { ...event.source, channel: 'http' } }],
    ['source.principal', { source: { ...event.source, principal: 'r-18' } }],
    ['source.clientId', { source: { ...event.source, clientId: 'r-17-conn2' } }],
    ['source.clientId (absent)', { source: { channel: 'iot', principal: 'r-17', ip: '10.0.0.7' } }],
    ['source.ip', { source: { ...event.source, ip: '10.0.0.8' } }],
    ['source.ip (absent)', { source: { channel: 'iot', principal: 'r-17', clientId: 'r-17-conn' } }],
    ['payload (a deep value)', { payload: { code: 'E42', detail: { axis: 3, readings: [1.5, 0, 1e22], ok: false } } }],
    ['payload (a deep boolean)', { payload: { code: 'E42', detail: { axis: 3, readings: [1.5, 0, 1e21], ok: true } } }],
    ['payload (a key added)', { payload: { ...event.payload, extra: null } }],
    ['traceId', { traceId: '0af7651916cd43dd8448eb211c80319d' }],
    ['traceId (absent)', { traceId: undefined }],
    ['spanId', { spanId: 'b7ad6b7169203332' }],
    ['causationId', { causationId: '0196b3a0-0000-7000-8000-000000000002' }],
    ['causationId (absent)', { causationId: undefined }],
  ])('changes with %s', (_, change) => {
    expect(hex({ ...event, ...change })).not.toBe(hex(event));
  });

  it('leaves absent optional fields out rather than writing null', () => {
    const bare = storedEvent({ source: { channel: 'http', principal: 'alice' } });
    const text = leafBytes(bare).toString();
    for (const field of ['clientId', 'ip', 'traceId', 'spanId', 'causationId'])
      expect(text).not.toContain(`"${field}"`);
    expect(text).not.toContain('null');
  });
});

describe('the instants of a leaf', () => {
  const slowInstant = (text: string) => new Date(Date.parse(text)).toISOString();
  // Spread, not built by storedEvent(): its schema refuses the odd texts these tests need.
  const withInstant = (occurredAt: string) => leafInput({ ...storedEvent(), occurredAt }).occurredAt;

  it('are toISOString() of the instant, whatever the text (also on the fast path for texts already in that form)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 999 }),
        (year, month, day, hour, ms) => {
          const pad = (n: number, width = 2) => String(n).padStart(width, '0');
          const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:07:59.${pad(ms, 3)}Z`;
          if (Number.isNaN(Date.parse(text))) return;
          expect(withInstant(text)).toBe(slowInstant(text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('normalize a day past the end of its month as Date.parse does, and leap days by the Gregorian rule', () => {
    expect(withInstant('2026-02-30T00:00:00.000Z')).toBe('2026-03-02T00:00:00.000Z');
    expect(withInstant('2024-02-29T12:00:00.000Z')).toBe('2024-02-29T12:00:00.000Z');
    expect(withInstant('2100-02-29T00:00:00.000Z')).toBe('2100-03-01T00:00:00.000Z');
    expect(withInstant('0000-02-29T00:00:00.000Z')).toBe(slowInstant('0000-02-29T00:00:00.000Z'));
    expect(withInstant('2026-05-01T12:00:00+02:00')).toBe('2026-05-01T10:00:00.000Z');
  });

  it('hash as leafBytes says: SHA-256(0x00 || leafBytes)', () => {
    const event = storedEvent();
    expect(leafHash(event).equals(hashLeaf(leafBytes(event)))).toBe(true);
  });
});

describe('the leaf written straight from the event (leafCanonical, what the sealer hashes)', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 12 });
  const anyText = fc.oneof(
    text,
    fc.string({ maxLength: 8 }),
    fc.constantFrom('a"b', 'a\\b', '\n\t', '\u2028', '😀', ''),
  );
  const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const stored = fc.record({
    id: fc.uuid(),
    type: anyText,
    severity: fc.constantFrom('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'),
    occurredAt: fc
      .date({ min: new Date('0100-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    receivedAt: fc
      .date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') })
      .map((d) => d.toISOString()),
    entity: fc.record({ type: anyText, id: anyText }),
    related: fc.array(fc.record({ type: anyText, id: anyText }), { maxLength: 3 }),
    actor: fc.record({ type: fc.constantFrom('device', 'user', 'service'), id: anyText }),
    source: fc.record({
      channel: fc.constantFrom('iot', 'http', 'internal'),
      principal: anyText,
      clientId: optional(anyText),
      ip: optional(fc.ipV4()),
    }),
    payload: fc.dictionary(anyText, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    traceId: optional(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 })),
    spanId: optional(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 })),
    causationId: optional(fc.uuid().map((id) => id.toUpperCase())),
  });

  it('is canonicalize(leafInput(event)), and its hash the hash of leafBytes, for any event', () => {
    fc.assert(
      fc.property(stored, (raw) => {
        // Absent optionals are absent keys, as rowToEvent builds them.
        const event = JSON.parse(JSON.stringify(raw)) as StoredEvent;
        expect(leafCanonical(event)).toBe(canonicalize(leafInput(event)));
        expect(leafHash(event)).toEqual(hashLeaf(leafBytes(event)));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a lone surrogate as canonicalize does, wherever it is', () => {
    const bad = { ...event, entity: { type: 'robot', id: 'r-\uD800' } };
    expect(() => leafCanonical(bad)).toThrow(/lone surrogate/);
    expect(() => leafHash({ ...event, payload: { ['k\uDC00']: 1 } })).toThrow(/lone surrogate/);
  });
});
