import { describe, expect, it } from 'vitest';
import { createCatalog, parseExtraEventTypes } from '../../shared/core/domain/catalog.ts';
import {
  type EventIssue,
  type IngestContext,
  MAX_EVENT_BYTES,
  type StoredEvent,
  storedEventSchema,
  validateEvent,
  validateEvents,
} from '../../shared/core/domain/event.ts';
import { OTEL_SEVERITY_NUMBER, severityNumber } from '../../shared/core/domain/severity.ts';

const RECEIVED_AT = new Date('2026-05-10T12:00:00.000Z');

function context(overrides: Partial<IngestContext> = {}): IngestContext {
  return {
    actor: { type: 'user', id: 'alice' },
    source: { channel: 'http', principal: 'alice', ip: '203.0.113.7' },
    roles: ['operator'],
    receivedAt: RECEIVED_AT,
    catalog: createCatalog(),
    ...overrides,
  };
}

/** A valid client event (what a client POSTs), with fields replaced or added. */
function input(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'sensor.threshold.breached',
    occurredAt: '2026-05-10T11:59:30Z',
    entity: { type: 'sensor', id: 'cold-room-3' },
    payload: { metric: 'temperature', value: 9.4, threshold: 8, unit: 'C' },
    ...overrides,
  };
}

function accepted(raw: unknown, ctx = context()): StoredEvent {
  const result = validateEvent(raw, 0, ctx);
  if (Array.isArray(result)) throw new Error(`expected the event to be accepted: ${JSON.stringify(result)}`);
  return result;
}

function refused(raw: unknown, index = 0, ctx = context()): EventIssue[] {
  const result = validateEvent(raw, index, ctx);
  if (!Array.isArray(result)) throw new Error(`expected the event to be refused: ${JSON.stringify(result)}`);
  return result;
}

describe('validateEvent: the stored form', () => {
  it('stamps actor, source and receivedAt from the context and fills defaults', () => {
    const event = accepted(input({ entity: { type: 'sensor', id: 's-1' } }));
    expect(event.actor).toEqual({ type: 'user', id: 'alice' });
    expect(event.source).toEqual({ channel: 'http', principal: 'alice', ip: '203.0.113.7' });
    expect(event.receivedAt).toBe('2026-05-10T12:00:00.000Z');
    expect(event.related).toEqual([]);
    expect(storedEventSchema.safeParse(event).success).toBe(true);
  });

  it('keeps a client-supplied id (idempotency) and optional trace fields', () => {
    const event = accepted(
      input({
        id: '0196b3a0-1234-7abc-8def-0123456789ab',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        causationId: '0196b3a0-0000-7000-8000-000000000001',
        related: [{ type: 'bay', id: 'B-12' }],
      }),
    );
    expect(event).toMatchObject({
      id: '0196b3a0-1234-7abc-8def-0123456789ab',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      causationId: '0196b3a0-0000-7000-8000-000000000001',
      related: [{ type: 'bay', id: 'B-12' }],
    });
  });

  it('does not add absent optional fields', () => {
    const event = accepted(input());
    expect(Object.keys(event)).not.toContain('traceId');
    expect(Object.keys(event)).not.toContain('spanId');
    expect(Object.keys(event)).not.toContain('causationId');
  });

  it('refuses malformed trace ids', () => {
    expect(refused(input({ traceId: '4BF92F3577B34DA6A3CE929D0E0E4736' }))[0]).toMatchObject({ path: 'traceId' });
    expect(refused(input({ spanId: '00f067aa' }))[0]).toMatchObject({ path: 'spanId' });
    expect(refused(input({ causationId: 'event-1' }))[0]).toMatchObject({ path: 'causationId' });
  });

  it('applies the default severity of the type, and keeps an explicit one', () => {
    expect(accepted(input()).severity).toBe('WARNING');
    expect(accepted(input({ type: 'robot.online', payload: {} })).severity).toBe('INFO');
    expect(
      accepted(input({ type: 'controller.protocol.error', payload: { protocol: 'opc-ua', error: 'x' } })).severity,
    ).toBe('ERROR');
    expect(accepted(input({ severity: 'CRITICAL' })).severity).toBe('CRITICAL');
  });

  it('refuses an unknown severity', () => {
    expect(refused(input({ severity: 'FATAL' }))[0]).toMatchObject({ index: 0, path: 'severity' });
    expect(refused(input({ severity: 'info' }))[0]).toMatchObject({ path: 'severity' });
  });

  it('OTEL severity numbers are 9/13/17/21', () => {
    expect(OTEL_SEVERITY_NUMBER).toEqual({ INFO: 9, WARNING: 13, ERROR: 17, CRITICAL: 21 });
    expect(['INFO', 'WARNING', 'ERROR', 'CRITICAL'].map((s) => severityNumber(s as never))).toEqual([9, 13, 17, 21]);
  });

  it('payload defaults to {} for types whose fields are optional', () => {
    const event = accepted({ type: 'robot.online', entity: { type: 'robot', id: 'r-17' } });
    expect(event.payload).toEqual({});
  });

  it('uses the receive time when occurredAt is omitted', () => {
    expect(accepted(input({ occurredAt: undefined })).occurredAt).toBe('2026-05-10T12:00:00.000Z');
  });
});

describe('validateEvent: occurredAt', () => {
  it('normalizes an offset to UTC', () => {
    expect(accepted(input({ occurredAt: '2026-05-10T13:30:00+02:00' })).occurredAt).toBe('2026-05-10T11:30:00.000Z');
    expect(accepted(input({ occurredAt: '2026-05-10T06:45:00.250-05:00' })).occurredAt).toBe(
      '2026-05-10T11:45:00.250Z',
    );
  });

  it('crosses into the next month when the offset says so', () => {
    const ctx = context({ receivedAt: new Date('2026-06-01T02:00:00Z') });
    expect(accepted(input({ occurredAt: '2026-05-31T23:30:00-02:00' }), ctx).occurredAt).toBe(
      '2026-06-01T01:30:00.000Z',
    );
  });

  it('refuses timestamps without an offset or that are not timestamps', () => {
    for (const occurredAt of [
      '2026-05-10T11:59:30',
      '2026-05-10',
      'yesterday',
      1715342370000,
      '2026-13-10T11:59:30Z',
    ]) {
      const issues = refused(input({ occurredAt }));
      expect(issues[0]).toMatchObject({ index: 0, path: 'occurredAt' });
    }
  });

  it('accepts a device clock up to 15 minutes ahead, refuses more', () => {
    expect(accepted(input({ occurredAt: '2026-05-10T12:15:00Z' })).occurredAt).toBe('2026-05-10T12:15:00.000Z');
    const issues = refused(input({ occurredAt: '2026-05-10T12:15:00.001Z' }));
    expect(issues).toEqual([
      { index: 0, path: 'occurredAt', message: expect.stringMatching(/15 minutes after the server clock/) },
    ]);
  });

  it('accepts old events back to 2000-01-01 and refuses earlier ones (unset device clock)', () => {
    expect(accepted(input({ occurredAt: '2000-01-01T00:00:00Z' })).occurredAt).toBe('2000-01-01T00:00:00.000Z');
    const issues = refused(input({ occurredAt: '1970-01-01T00:00:00Z' }));
    expect(issues).toEqual([
      { index: 0, path: 'occurredAt', message: expect.stringMatching(/before 2000-01-01.*clock/) },
    ]);
    expect(refused(input({ occurredAt: '1999-12-31T23:59:59.999Z' }))[0]?.path).toBe('occurredAt');
  });
});

describe('validateEvent: refusals name the event, the field and the reason', () => {
  it('refuses an unknown type, saying how to register it', () => {
    const issues = refused(input({ type: 'robot.exploded', payload: {} }), 3);
    expect(issues).toEqual([{ index: 3, path: 'type', message: expect.stringContaining('EXTRA_EVENT_TYPES') }]);
    expect(issues[0]?.message).toContain('robot.exploded');
  });

  it('accepts the type once the deployment registers it, with its severity', () => {
    const ctx = context({ catalog: createCatalog(parseExtraEventTypes('robot.exploded:CRITICAL')) });
    const event = accepted(input({ type: 'robot.exploded', payload: { debris: 'everywhere' } }), ctx);
    expect(event.severity).toBe('CRITICAL');
    expect(event.payload).toEqual({ debris: 'everywhere' });
  });

  it('refuses a badly formed type name', () => {
    expect(refused(input({ type: 'Robot Online' }))[0]).toMatchObject({
      path: 'type',
      message: expect.stringMatching(/dotted/),
    });
  });

  it.each(['actor', 'source', 'receivedAt'])('refuses a client-sent %s: the server stamps it', (field) => {
    const issues = refused(
      input({ [field]: field === 'receivedAt' ? '2026-05-10T12:00:00Z' : { type: 'user', id: 'root' } }),
      2,
    );
    expect(issues).toEqual([
      { index: 2, path: field, message: expect.stringMatching(/stamped by the server.*may not be sent/) },
    ]);
  });

  it('names each server-stamped field a client sent', () => {
    const issues = refused(input({ actor: 'x', source: 'y' }));
    expect(issues.map((i) => i.path)).toEqual(['actor', 'source']);
  });

  it('gives the payload field path', () => {
    const issues = refused(input({ payload: { metric: 'temperature', value: 'hot', threshold: 8 } }), 5);
    expect(issues).toEqual([{ index: 5, path: 'payload.value', message: expect.any(String) }]);
  });

  it('gives nested entity paths', () => {
    expect(refused(input({ entity: { type: 'sensor', id: 'has space' } }))[0]).toMatchObject({ path: 'entity.id' });
    expect(refused(input({ entity: { type: 'Sensor', id: 's-1' } }))[0]).toMatchObject({ path: 'entity.type' });
    expect(
      refused(
        input({
          related: [
            { type: 'bay', id: 'B-1' },
            { type: 'bay', id: 'a:b' },
          ],
        }),
      )[0],
    ).toMatchObject({
      path: 'related.1.id',
    });
  });

  it('refuses unknown top-level fields', () => {
    const issues = refused(input({ colour: 'red' }));
    expect(issues[0]?.message).toMatch(/colour/);
  });

  it('refuses things that are not objects', () => {
    for (const raw of [null, 'event', 42, [input()]]) {
      const issues = refused(raw, 1);
      expect(issues.length).toBeGreaterThan(0);
      expect(issues[0]?.index).toBe(1);
      expect(issues[0]?.path).toBe('(event)');
    }
  });

  it('refuses a client id that is not a UUID', () => {
    expect(refused(input({ id: 'abc' }))[0]).toMatchObject({ path: 'id', message: 'id must be a UUID' });
  });

  it('refuses an event larger than the size limit, and accepts one just under it', () => {
    // Split over fields, each under the string limit, so that only the event's size is over.
    const big = (size: number) =>
      input({
        type: 'robot.online',
        payload: Object.fromEntries(
          Array.from({ length: Math.ceil(size / 16_000) }, (_, i) => [
            `blob${i}`,
            'x'.repeat(Math.min(16_000, size - i * 16_000)),
          ]),
        ),
      });
    const issues = refused(big(MAX_EVENT_BYTES));
    expect(issues).toEqual([
      { index: 0, path: '(event)', message: expect.stringContaining(`limit is ${MAX_EVENT_BYTES}`) },
    ]);
    const justUnder = accepted(big(MAX_EVENT_BYTES - 1024));
    expect(Buffer.byteLength(JSON.stringify(justUnder))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });
});

describe('validateEvents: a request is all-or-nothing', () => {
  it('returns every event when all are valid, in request order', () => {
    const result = validateEvents(
      [input({ entity: { type: 'sensor', id: 'a' } }), input({ entity: { type: 'sensor', id: 'b' } })],
      context(),
    );
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.events.map((e) => e.entity.id)).toEqual(['a', 'b']);
  });

  it('returns no events when one is invalid, and reports every problem of every event with its index', () => {
    const result = validateEvents(
      [input(), input({ type: 'nope.nope' }), input(), input({ payload: { metric: 'x' } }), input({ actor: 'me' })],
      context(),
    );
    expect(result).toEqual({
      ok: false,
      idConflict: false,
      issues: [
        { index: 1, path: 'type', message: expect.any(String) },
        { index: 3, path: 'payload.value', message: expect.any(String) },
        { index: 3, path: 'payload.threshold', message: expect.any(String) },
        { index: 4, path: 'actor', message: expect.any(String) },
      ],
    });
    expect('events' in result).toBe(false);
  });

  it('refuses the same event twice in one request (same id, same content) as invalid, naming both', () => {
    const id = '0196b3a0-1234-7abc-8def-0123456789ab';
    const result = validateEvents([input({ id }), input(), input({ id: id.toUpperCase() })], context());
    expect(result).toEqual({
      ok: false,
      idConflict: false,
      issues: [
        {
          index: 2,
          path: 'id',
          message: `repeats event 0 of this request (same id ${id.toUpperCase()}, same content): send it once`,
        },
      ],
    });
  });

  it('refuses one id for two different events of a request as a conflict, naming both', () => {
    const id = '0196b3a0-1234-7abc-8def-0123456789ab';
    const result = validateEvents(
      [input({ id }), input(), input({ id, entity: { type: 'sensor', id: 'other' } })],
      context(),
    );
    expect(result).toEqual({
      ok: false,
      idConflict: true,
      issues: [
        {
          index: 2,
          path: 'id',
          message: `${id} is also the id of event 0 of this request, with different content: an id names one event`,
        },
      ],
    });
  });

  it('is no conflict (400, not 409) when other events of the request are invalid too', () => {
    const id = '0196b3a0-1234-7abc-8def-0123456789ab';
    const result = validateEvents(
      [input({ id }), input({ type: 'nope.nope' }), input({ id, entity: { type: 'sensor', id: 'other' } })],
      context(),
    );
    expect(result).toMatchObject({ ok: false, idConflict: false });
    if (!result.ok)
      expect(result.issues.map((i) => [i.index, i.path])).toEqual([
        [1, 'type'],
        [2, 'id'],
      ]);
  });

  it('accepts the same event content twice when ids differ (server-made ids)', () => {
    const result = validateEvents([input(), input()], context());
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.events[0]?.id).not.toBe(result.events[1]?.id);
  });
});

describe('server-generated ids', () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('are UUIDv7 carrying the receive time', () => {
    const event = accepted(input());
    expect(event.id).toMatch(UUID_V7);
    const ms = Number.parseInt(event.id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBe(RECEIVED_AT.getTime());
  });

  it('sort in receive order across requests', () => {
    const ids = [0, 1, 2, 1000, 86_400_000].map(
      (delta) => accepted(input(), context({ receivedAt: new Date(RECEIVED_AT.getTime() + delta) })).id,
    );
    expect([...ids].sort()).toEqual(ids);
  });

  it('sort in request order within one request, all of whose events carry its receive time', () => {
    const result = validateEvents(
      Array.from({ length: 500 }, (_, i) => input({ entity: { type: 'sensor', id: `s-${i}` } })),
      context(),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const ids = result.events.map((e) => e.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('come from the injected generator when one is given', () => {
    const ctx = context({ newId: (ms) => `00000000-0000-7000-8000-${String(ms % 1e12).padStart(12, '0')}` });
    expect(accepted(input(), ctx).id).toBe(
      `00000000-0000-7000-8000-${String(RECEIVED_AT.getTime() % 1e12).padStart(12, '0')}`,
    );
  });
});
