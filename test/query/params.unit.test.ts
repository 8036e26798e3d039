import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_DAYS,
  eventsQuerySchema,
  MAX_WINDOW_DAYS,
  parseParams,
  resolveFilter,
} from '../../shared/core/query/params.ts';

const NOW = new Date('2026-05-10T12:00:00.000Z');
const DAY = 86_400_000;

function resolve(query: Record<string, string>) {
  const params = parseParams(eventsQuerySchema, query);
  if (!params.ok) return params;
  return resolveFilter(params.value, NOW);
}

function filterOf(query: Record<string, string>) {
  const result = resolve(query);
  if (!result.ok) throw new Error(`${result.parameter}: ${result.message}`);
  return result.value;
}

describe('the time window', () => {
  it('defaults to the last 7 days, up to now plus the allowed clock skew', () => {
    const { since, until } = filterOf({});
    expect(until.toISOString()).toBe('2026-05-10T12:15:00.000Z');
    expect(until.getTime() - since.getTime()).toBe(DEFAULT_WINDOW_DAYS * DAY);
  });

  it('reads forward from since, at most the maximum window, never past now', () => {
    expect(filterOf({ since: '24h' }).until.toISOString()).toBe('2026-05-10T12:15:00.000Z');
    expect(filterOf({ since: '2026-01-01T00:00:00Z' }).until.getTime()).toBe(
      Date.parse('2026-01-01T00:00:00Z') + MAX_WINDOW_DAYS * DAY,
    );
  });

  it('reads the default window before until', () => {
    const { since } = filterOf({ until: '2026-05-01T00:00:00Z' });
    expect(since.toISOString()).toBe('2026-04-24T00:00:00.000Z');
  });

  it('refuses inverted, empty and too wide windows', () => {
    expect(resolve({ since: '1d', until: '2d' })).toMatchObject({ ok: false, parameter: 'since' });
    expect(resolve({ since: '2026-05-01T00:00:00Z', until: '2026-05-01T00:00:00Z' })).toMatchObject({ ok: false });
    expect(resolve({ since: '100d', until: '1d' })).toMatchObject({
      ok: false,
      parameter: 'since',
      message: /93 days/,
    });
    expect(resolve({ since: '2027-01-01T00:00:00Z' })).toMatchObject({ ok: false, parameter: 'since' });
  });
  it('reaches only instants PostgreSQL can hold (years 0001-9999), naming the parameter that goes past them', () => {
    expect(filterOf({ since: '0001-01-01', until: '0001-01-05' }).since.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(resolve({ since: '0000-12-31' })).toEqual({
      ok: false,
      parameter: 'since',
      message: 'must be between 0001-01-01 and 9999-12-31',
    });
    expect(resolve({ until: '0001-01-03' })).toMatchObject({
      ok: false,
      parameter: 'until',
      message: /give since too/,
    });
    expect(resolve({ since: '9999-12-01', until: '10000-01-01' })).toMatchObject({ ok: false, parameter: 'until' });
  });
});

describe('filters', () => {
  it('reads every filter', () => {
    expect(
      filterOf({
        entity: 'robot:r-17',
        type: 'robot.*',
        severity: 'warning, ERROR',
        minSeverity: 'ERROR',
        actor: 'user:alice',
        source: 'iot:r-17',
        q: '100%',
        id: '0195519a-0000-7000-8000-000000000001',
      }),
    ).toMatchObject({
      entity: { type: 'robot', id: 'r-17' },
      type: 'robot.*',
      severities: ['WARNING', 'ERROR'],
      minSeverity: 'ERROR',
      actor: 'user:alice',
      source: { channel: 'iot', principal: 'r-17' },
      q: '100%',
      id: '0195519a-0000-7000-8000-000000000001',
    });
  });

  it.each([
    ['entity', ["robot:r-1' OR 1=1", 'robot', ':x', 'robot:a b']],
    ['type', ['robot.%', "x' OR '1'='1", 'ROBOT.online', 'robot.*.x']],
    ['severity', ['LOUD', 'INFO,;DROP', '']],
    ['minSeverity', ['error', 'FATAL', "ERROR'--"]],
    ['actor', ['alice', 'admin:x', 'user:a b', "user:x' --"]],
    ['source', ['mqtt', 'iot:', 'http:a b']],
    ['since', ['yesterday', '1w', '2026-02-30T00:00:00Z', '1e9d']],
    ['until', ['tomorrow', '-1d']],
    ['q', ['', 'x'.repeat(201)]],
    ['id', ['1 OR 1=1', 'not-a-uuid']],
    ['order', ['random', 'DESC; DROP TABLE events']],
    ['limit', ['0', '1001', '1.5', 'ten']],
  ])('%s: hostile or malformed values are refused, naming the parameter', (parameter, values) => {
    for (const value of values) expect(resolve({ [parameter]: value }), value).toMatchObject({ ok: false, parameter });
  });

  it('refuses unknown parameters by name', () => {
    expect(resolve({ entity: 'robot:r-1', 'payload.level': '5' })).toMatchObject({
      ok: false,
      parameter: 'payload.level',
      message: 'unknown query parameter',
    });
  });
});

describe('values the audit trail cannot store', () => {
  // Every read is audited with its parameters: a read whose audit event could not be stored is refused up front.
  it.each([
    ['q', 'a\u0000b', /U\+0000 \(NUL\) at character 1/],
    ['q', 'x\ud800', /lone surrogate U\+D800/],
    ['entity', 'robot:r\uffff', /non-character U\+FFFF/],
  ])('refuses %s=%j with the reason', (parameter, value, message) => {
    const result = parseParams(eventsQuerySchema, { [parameter]: value });
    expect(result).toEqual({ ok: false, parameter, message: expect.stringMatching(message) });
  });

  it('reads emoji and control characters as given', () => {
    expect(parseParams(eventsQuerySchema, { q: 'boot 🚀\u0001' })).toMatchObject({
      ok: true,
      value: { q: 'boot 🚀\u0001' },
    });
  });
});
