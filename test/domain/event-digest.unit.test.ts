import { describe, expect, it } from 'vitest';
import { canonicalJson, eventDigest } from '../../shared/core/domain/event-digest.ts';
import { eventAbout } from '../support/events.ts';

describe('canonicalJson', () => {
  it('writes object keys in code-unit order at every depth, arrays in their order, no spaces', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'ü' }], c: true }, B: -0.5 })).toBe(
      '{"B":-0.5,"a":{"c":true,"d":[3,{"y":"ü","z":null}]},"b":1}',
    );
  });

  it('leaves out undefined properties, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

describe('eventDigest: what makes two events under one id the same event', () => {
  const event = eventAbout('robot:r-1', {
    payload: { reason: 'boot', extra: { b: 1, a: 2 } },
    source: { channel: 'iot', principal: 'r-1', clientId: 'r-1-conn', ip: '10.0.0.1' },
  });

  it('is a SHA-256 in hex, the same for the same content whatever the key order', () => {
    expect(eventDigest(event)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventDigest({ ...event, payload: { extra: { a: 2, b: 1 }, reason: 'boot' } })).toBe(eventDigest(event));
  });

  it('ignores what each receive stamps: receivedAt, source.clientId and source.ip', () => {
    const retry = {
      ...event,
      receivedAt: '2026-05-10T13:00:00.000Z',
      source: { channel: 'iot' as const, principal: 'r-1' },
    };
    expect(eventDigest(retry)).toBe(eventDigest(event));
  });

  it.each([
    ['entity', { entity: { type: 'robot', id: 'r-2' } }],
    ['type', { type: 'robot.offline' }],
    ['severity', { severity: 'ERROR' as const }],
    ['occurredAt', { occurredAt: '2026-05-10T12:00:00.001Z' }],
    ['related', { related: [{ type: 'bay', id: 'b-1' }] }],
    ['payload', { payload: { reason: 'boot', extra: { b: 1, a: 3 } } }],
    ['actor', { actor: { type: 'user' as const, id: 'r-1' } }],
    ['source principal', { source: { channel: 'iot' as const, principal: 'r-2' } }],
    ['source channel', { source: { channel: 'http' as const, principal: 'r-1' } }],
    ['traceId', { traceId: '0af7651916cd43dd8448eb211c80319c' }],
    ['spanId', { spanId: 'b7ad6b7169203331' }],
    ['causationId', { causationId: '0196b8a4-0000-7000-8000-000000000001' }],
  ])('changes with the %s', (_, change) => {
    expect(eventDigest({ ...event, ...change })).not.toBe(eventDigest(event));
  });

  it('is the same for an occurredAt written with another offset for the same instant', () => {
    // Stored events carry UTC (toISOString); the instant is what counts.
    expect(eventDigest({ ...event, occurredAt: '2026-05-10T14:00:00.000+02:00' })).toBe(eventDigest(event));
  });
});
