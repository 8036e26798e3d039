import { describe, expect, it } from 'vitest';
import { type ArchivedRow, archivedRowToEvent, archiveInstant } from '../../shared/core/archive/archived-event.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { storedEvent } from '../support/events.ts';

/** The row the export writes for an event: PostgreSQL's text of each column (jsonb with its spaces), UTC timestamps. */
function exportedRow(event: StoredEvent): ArchivedRow {
  const pgJson = (value: unknown) => JSON.stringify(value).replaceAll('":', '": ').replaceAll(',"', ', "');
  const text = (instant: string) => instant.replace('T', ' ').replace('Z', '');
  return {
    id: event.id,
    type: event.type,
    severity: event.severity,
    severity_number: '13',
    occurred_at: text(event.occurredAt),
    received_at: text(event.receivedAt),
    entity_type: event.entity.type,
    entity_id: event.entity.id,
    related: pgJson(event.related),
    actor: `${event.actor.type}:${event.actor.id}`,
    source_channel: event.source.channel,
    source_principal: event.source.principal,
    source_client_id: event.source.clientId ?? null,
    source_ip: event.source.ip ?? null,
    payload: pgJson(event.payload),
    trace_id: event.traceId ?? null,
    span_id: event.spanId ?? null,
    causation_id: event.causationId ?? null,
    log_seq: '41',
    leaf_hash: 'ab'.repeat(32),
  };
}

describe('an archived row is the stored event it was exported from', () => {
  const events = [
    storedEvent(),
    storedEvent({
      type: 'sensor.threshold.breached',
      severity: 'WARNING',
      occurredAt: '2026-05-31T23:59:59.999Z',
      related: [{ type: 'bay', id: 'b-1' }],
      actor: { type: 'user', id: 'alice' },
      source: { channel: 'http', principal: 'alice', clientId: 'web', ip: '10.0.0.1' },
      payload: { value: 8.5, nested: { list: [1, 'two', null] }, note: 'üñí, 💡' },
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      causationId: '0196b3a0-7c00-7000-8000-000000000001',
    }),
  ];

  it.each(events)('field for field, and so leaf for leaf (%#)', (event) => {
    const back = archivedRowToEvent(exportedRow(event));
    expect(back).toEqual(event);
    expect(leafHash(back).equals(leafHash(event))).toBe(true);
  });

  it('a NULL optional column is an absent member', () => {
    const bare = archivedRowToEvent(exportedRow(events[0]!));
    expect(Object.keys(bare)).not.toContain('traceId');
    expect(Object.keys(bare.source)).toEqual(['channel', 'principal']);
  });

  it('refuses a row without a required column rather than hash something else', () => {
    expect(() => archivedRowToEvent({ ...exportedRow(events[0]!), received_at: null })).toThrow(
      'the archived row has no received_at',
    );
  });
});

describe('archive timestamps', () => {
  it.each([
    ['2026-05-10 12:00:00.25', '2026-05-10T12:00:00.250Z'],
    ['2026-05-10 12:00:00', '2026-05-10T12:00:00.000Z'],
    ['2026-05-10T12:00:00.250Z', '2026-05-10T12:00:00.250Z'],
    ['2026-05-10T14:00:00.250+02:00', '2026-05-10T12:00:00.250Z'],
  ])('%s is %s', (text, iso) => {
    expect(archiveInstant(text)).toBe(iso);
  });

  it.each(['2026-05-10T12:00:00', 'yesterday', ''])('refuses %j: not an instant in UTC', (text) => {
    expect(() => archiveInstant(text)).toThrow(/is not a UTC timestamp/);
  });
});
