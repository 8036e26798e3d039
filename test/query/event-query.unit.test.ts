import { describe, expect, it } from 'vitest';
import { buildEventPageQuery, buildStatsQuery, buildTotalsQuery } from '../../shared/adapters/postgres/event-query.ts';
import type { EventQueryFilter } from '../../shared/core/query/filter.ts';

const window = { since: new Date('2026-05-01T00:00:00Z'), until: new Date('2026-05-08T00:00:00Z') };
const HOSTILE = "x'); DROP TABLE events; --";

/** A filter with hostile text in every free-text field. */
const hostile: EventQueryFilter = {
  ...window,
  entity: { type: HOSTILE, id: HOSTILE },
  type: `${HOSTILE}.*`,
  severities: ['ERROR'],
  minSeverity: 'WARNING',
  actor: HOSTILE,
  source: { channel: 'http', principal: HOSTILE },
  q: HOSTILE,
  id: HOSTILE,
  hiddenTypePrefixes: [HOSTILE],
  hiddenAuditOf: HOSTILE,
};

describe('query API SQL', () => {
  it('carries every value as a parameter, never in the text', () => {
    const queries = [
      buildEventPageQuery(hostile, { order: 'desc', limit: 10, after: { occurredAt: HOSTILE, id: HOSTILE } }),
      buildStatsQuery(hostile, { interval: 'hour', groupBy: 'entity', maxRows: 10 }),
      buildTotalsQuery(hostile, 'actor', 10),
    ];
    for (const { text, values } of queries) {
      expect(text).not.toContain('DROP');
      expect(text).not.toContain("'x");
      expect(values.some((v) => String(v).includes('DROP'))).toBe(true);
      const placeholders = new Set(text.match(/\$\d+/g));
      expect(placeholders.size).toBe(values.length);
    }
  });

  it('puts hostile input from every field into the values, in order, and none into the page query text', () => {
    const after = { occurredAt: HOSTILE, id: HOSTILE };
    const query = buildEventPageQuery(hostile, { order: 'desc', limit: 10, after });
    expect(query.text).not.toContain("'");
    expect(query.values).toEqual([
      '2026-05-01T00:00:00.000Z',
      '2026-05-08T00:00:00.000Z',
      `${HOSTILE}.%`,
      ['ERROR'],
      17,
      HOSTILE,
      'http',
      HOSTILE,
      `%${HOSTILE}%`,
      HOSTILE,
      `${HOSTILE}%`,
      HOSTILE,
      'audit.%',
      HOSTILE,
      HOSTILE,
      11,
      HOSTILE,
      HOSTILE,
      JSON.stringify([{ type: HOSTILE, id: HOSTILE }]),
    ]);
    // Every parameter is referenced (the entity's page repeats the common ones in both of its reads).
    expect(new Set(query.text.match(/\$\d+/g))).toHaveLength(query.values.length);
  });

  it('matches an entity itself or as a related entity', () => {
    const query = buildEventPageQuery({ ...window, entity: { type: 'bay', id: 'b-1' } }, { order: 'desc', limit: 5 });
    // Two ordered reads, each with its own index and the page's limit, merged: a UNION serves an event in both once.
    const [own, related] = query.text.split(' UNION ');
    expect(own).toContain('AND (entity_type = $4 AND entity_id = $5) ORDER BY occurred_at DESC, id DESC LIMIT $3)');
    expect(related).toMatch(/AND related @> \$6::jsonb\)\) AS page ORDER BY/);
    expect(query.text).toMatch(/\) AS page ORDER BY occurred_at DESC, id DESC LIMIT \$3$/);
    expect(query.values.slice(2, 6)).toEqual([6, 'bay', 'b-1', '[{"type":"bay","id":"b-1"}]']);
  });

  it('treats a type ending in .* as a prefix, with LIKE wildcards in the name taken literally', () => {
    const page = { order: 'desc', limit: 5 } as const;
    expect(buildEventPageQuery({ ...window, type: 'robot.*' }, page).values.slice(2)).toEqual(['robot.%', 6]);
    expect(buildEventPageQuery({ ...window, type: 'sensor.payload_%.*' }, page).values[2]).toBe(
      'sensor.payload\\_\\%.%',
    );
    const exact = buildEventPageQuery({ ...window, type: 'robot.online' }, page);
    expect(exact.text).toContain('type = $3');
    expect(exact.values[2]).toBe('robot.online');
  });

  it('adds the lowest listed severity as a number, so the partial index of problems can be used', () => {
    const query = buildEventPageQuery({ ...window, severities: ['CRITICAL', 'ERROR'] }, { order: 'desc', limit: 5 });
    expect(query.text).toContain('severity = ANY($3::text[]) AND severity_number >= $4::smallint');
    expect(query.values.slice(2)).toEqual([['CRITICAL', 'ERROR'], 17, 6]);
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 2.5, Number.NaN])
      expect(() => buildEventPageQuery(window, { order: 'desc', limit })).toThrow(/limit must be/);
  });

  it('bounds every query by the window', () => {
    const { text, values } = buildEventPageQuery(window, { order: 'desc', limit: 5 });
    expect(text).toContain('occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz');
    expect(values.slice(0, 2)).toEqual(['2026-05-01T00:00:00.000Z', '2026-05-08T00:00:00.000Z']);
  });

  it('escapes LIKE wildcards in prefixes, payload text and hidden prefixes', () => {
    const { values } = buildEventPageQuery(
      { ...window, type: 'sensor.payload_x.*', q: '100%_\\', hiddenTypePrefixes: ['user.'] },
      { order: 'desc', limit: 5 },
    );
    expect(values).toContain('sensor.payload\\_x.%');
    expect(values).toContain('%100\\%\\_\\\\%');
    expect(values).toContain('user.%');
  });

  it('states the severity floor as a number range, for the partial index', () => {
    const { text, values } = buildEventPageQuery(
      { ...window, severities: ['WARNING', 'CRITICAL'], minSeverity: 'ERROR' },
      { order: 'desc', limit: 5 },
    );
    expect(text).toMatch(/severity_number >= \$\d+::smallint/);
    expect(values).toContain(17);
  });

  it('pages by (occurred_at, id) in either direction, asking one row more', () => {
    const after = { occurredAt: '2026-05-02T00:00:00.000Z', id: '0195519a-0000-7000-8000-000000000001' };
    const desc = buildEventPageQuery(window, { order: 'desc', limit: 5, after });
    expect(desc.text).toMatch(
      /\(occurred_at, id\) < \(\$3::timestamptz, \$4::uuid\) AND occurred_at <= \$3::timestamptz ORDER BY occurred_at DESC, id DESC LIMIT \$5$/,
    );
    expect(desc.values.at(-1)).toBe(6);
    const asc = buildEventPageQuery(window, { order: 'asc', limit: 5, after });
    expect(asc.text).toMatch(
      /\(occurred_at, id\) > .* AND occurred_at >= \$3::timestamptz ORDER BY occurred_at ASC, id ASC/,
    );
  });

  it('buckets stats with date_bin on UTC boundaries', () => {
    const { text, values } = buildStatsQuery(window, { interval: 'day', groupBy: 'severity', maxRows: 100 });
    expect(text).toMatch(
      /^SELECT date_bin\(\$1::interval, occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00\+00'\) AS bucket, severity AS key/,
    );
    expect(values[0]).toBe('1 day');
    expect(values.at(-1)).toBe(101);
  });
});
