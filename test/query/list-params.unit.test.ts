import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parseInstant, parseListParams } from '../../shared/query/list-params.ts';

const NOW = new Date('2026-05-10T12:00:00.000Z');
const parse = (query: Record<string, string | undefined>) => parseListParams(query, NOW);

function filterOf(query: Record<string, string | undefined>) {
  const result = parse(query);
  if (!result.ok) throw new Error(`expected ok: ${result.parameter}: ${result.message}`);
  return result.filter;
}

describe('parseListParams', () => {
  it('no parameters: default limit, no filters', () => {
    expect(filterOf({})).toEqual({ limit: DEFAULT_PAGE_SIZE });
  });

  it('entity type:id', () => {
    expect(filterOf({ entity: 'robot:r-17' }).entity).toEqual({ type: 'robot', id: 'r-17' });
    for (const entity of ['robot', 'robot:', ':r-17', 'robot:r 17', 'Robot:r-17', 'robot:a:b', '']) {
      expect(parse({ entity })).toEqual({ ok: false, parameter: 'entity', message: expect.stringMatching(/type:id/) });
    }
  });

  it('type: exact name or a prefix ending in .*', () => {
    expect(filterOf({ type: 'sensor.threshold.breached' }).type).toBe('sensor.threshold.breached');
    expect(filterOf({ type: 'robot.*' }).type).toBe('robot.*');
    for (const type of ['robot*', '*', 'robot.%', "robot.online' OR '1'='1", 'Robot.online', 'robot.*.x']) {
      expect(parse({ type })).toMatchObject({ ok: false, parameter: 'type' });
    }
  });

  it('severity: a list, case-insensitive, spaces allowed', () => {
    expect(filterOf({ severity: 'error,CRITICAL' }).severity).toEqual(['ERROR', 'CRITICAL']);
    expect(filterOf({ severity: ' warning , Info ' }).severity).toEqual(['WARNING', 'INFO']);
  });

  it('severity: a bad value is named', () => {
    expect(parse({ severity: 'ERROR,LOUD' })).toEqual({
      ok: false,
      parameter: 'severity',
      message: expect.stringContaining('"LOUD"'),
    });
    expect(parse({ severity: '' })).toMatchObject({ ok: false, parameter: 'severity' });
    expect(parse({ severity: 'ERROR,' })).toMatchObject({ ok: false, parameter: 'severity' });
  });

  it('since/until as ISO-8601 with offset, normalized to the instant', () => {
    const filter = filterOf({ since: '2026-05-01T00:00:00+02:00', until: '2026-05-09T00:00:00Z' });
    expect(filter.since?.toISOString()).toBe('2026-04-30T22:00:00.000Z');
    expect(filter.until?.toISOString()).toBe('2026-05-09T00:00:00.000Z');
    expect(filterOf({ since: '2026-05-01' }).since?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });

  it('since/until relative to the clock: 30m, 24h, 7d', () => {
    expect(filterOf({ since: '30m' }).since?.toISOString()).toBe('2026-05-10T11:30:00.000Z');
    expect(filterOf({ since: '24h' }).since?.toISOString()).toBe('2026-05-09T12:00:00.000Z');
    expect(filterOf({ since: '7d', until: '1h' })).toMatchObject({
      since: new Date('2026-05-03T12:00:00.000Z'),
      until: new Date('2026-05-10T11:00:00.000Z'),
    });
    expect(filterOf({ until: '0m' }).until?.toISOString()).toBe(NOW.toISOString());
  });

  it('refuses bad times, naming the parameter', () => {
    for (const text of [
      'yesterday',
      '7w',
      '-1d',
      '1.5h',
      '2026-05-10T12:00:00',
      '2026-02-30T00:00:00Z',
      '1715342400',
    ]) {
      expect(parse({ since: text })).toMatchObject({ ok: false, parameter: 'since' });
      expect(parse({ until: text })).toMatchObject({ ok: false, parameter: 'until' });
    }
  });

  it('refuses since after until; equal is fine', () => {
    expect(parse({ since: '1h', until: '2h' })).toEqual({ ok: false, parameter: 'since', message: 'is after until' });
    expect(parse({ since: '2026-05-01T00:00:00Z', until: '2026-05-01T00:00:00Z' }).ok).toBe(true);
  });

  it('refuses an unknown parameter by name', () => {
    expect(parse({ entity: 'robot:r-1', colour: 'red' })).toEqual({
      ok: false,
      parameter: 'colour',
      message: 'unknown query parameter',
    });
    expect(parse({ sevrity: 'ERROR' })).toMatchObject({ ok: false, parameter: 'sevrity' });
  });

  it('limit: 1..1000, default 100', () => {
    expect(filterOf({ limit: '1' }).limit).toBe(1);
    expect(filterOf({ limit: String(MAX_PAGE_SIZE) }).limit).toBe(1000);
    for (const limit of ['0', '1001', '-5', '2.5', 'ten', '']) {
      expect(parse({ limit })).toMatchObject({ ok: false, parameter: 'limit' });
    }
  });

  it('passes an opaque cursor through, bounded in length', () => {
    expect(filterOf({ cursor: 'eyJ0IjoiMjAyNiJ9' }).cursor).toBe('eyJ0IjoiMjAyNiJ9');
    expect(parse({ cursor: 'c'.repeat(513) })).toMatchObject({ ok: false, parameter: 'cursor' });
  });

  it('combines filters', () => {
    expect(
      filterOf({ entity: 'sensor:s-1', type: 'sensor.*', severity: 'warning', since: '24h', limit: '50' }),
    ).toEqual({
      entity: { type: 'sensor', id: 's-1' },
      type: 'sensor.*',
      severity: ['WARNING'],
      since: new Date('2026-05-09T12:00:00.000Z'),
      limit: 50,
    });
  });
});

describe('hostile input is refused or kept as data, never thrown', () => {
  const hostile = [
    "'; DROP TABLE events; --",
    '\u0000',
    '../../etc/passwd',
    '%00',
    '<script>alert(1)</script>',
    'x'.repeat(100_000),
    '{"$ne":null}',
    '__proto__',
    '1000000000d',
    '99999999999999999999999h',
    '+275760-09-13T00:00:01Z',
    '-271821-04-20T00:00:00Z',
  ];

  it.each(['entity', 'type', 'severity', 'since', 'until', 'limit', 'cursor'])('in %s', (parameter) => {
    for (const value of hostile) {
      const result = parse({ [parameter]: value });
      if (!result.ok) {
        expect(result.parameter).toBe(parameter);
        continue;
      }
      // Accepted: only as plain data, and any instant is a real one.
      for (const instant of [result.filter.since, result.filter.until]) {
        if (instant) expect(Number.isNaN(instant.getTime())).toBe(false);
      }
    }
  });

  it('hostile parameter names are refused by name', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'entity[]', '']) {
      const query = Object.fromEntries([[name, 'x']]);
      expect(parse(query)).toEqual({ ok: false, parameter: name, message: 'unknown query parameter' });
    }
  });

  it('a relative time too far back for a Date is refused', () => {
    expect(parse({ since: '1000000000d' })).toMatchObject({ ok: false, parameter: 'since' });
    expect(parseInstant('99999999999999999999999h', NOW)).toBeUndefined();
  });

  it('an entity id containing SQL stays data', () => {
    expect(filterOf({ entity: "robot:r-1';DROP--" }).entity).toEqual({ type: 'robot', id: "r-1';DROP--" });
  });
});
