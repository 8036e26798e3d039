import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../shared/store/cursor.ts';
import { buildListQuery } from '../../shared/store/list-query.ts';

const HOSTILE = `'; DROP TABLE events; --`;

describe('buildListQuery', () => {
  it('lists newest first with one extra row to detect a next page', () => {
    const query = buildListQuery({ limit: 50 });
    expect(query.text).toMatch(/FROM events ORDER BY occurred_at DESC, id DESC LIMIT \$1$/);
    expect(query.values).toEqual([51]);
  });

  it('puts hostile input from every field into values, never into the SQL text', () => {
    const cursor = encodeCursor({ occurredAt: '2026-05-10T12:00:00.000Z', id: '0196b8a4-0000-7000-8000-000000000001' });
    const query = buildListQuery({
      entity: { type: HOSTILE, id: HOSTILE },
      type: HOSTILE,
      severity: [HOSTILE, 'ERROR'],
      since: new Date('2026-01-01T00:00:00Z'),
      until: new Date('2026-02-01T00:00:00Z'),
      cursor,
      limit: 10,
    });
    expect(query.text).not.toContain('DROP');
    expect(query.text).not.toContain("'");
    expect(query.values).toEqual([
      HOSTILE,
      HOSTILE,
      JSON.stringify([{ type: HOSTILE, id: HOSTILE }]),
      HOSTILE,
      [HOSTILE, 'ERROR'],
      17,
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-05-10T12:00:00.000Z',
      '0196b8a4-0000-7000-8000-000000000001',
      11,
    ]);
    expect(query.text.match(/\$\d+/g)).toHaveLength(query.values.length);
  });

  it('matches an entity itself or as a related entity', () => {
    const query = buildListQuery({ entity: { type: 'bay', id: 'b-1' }, limit: 5 });
    expect(query.text).toContain('((entity_type = $1 AND entity_id = $2) OR related @> $3::jsonb)');
    expect(query.values.slice(0, 3)).toEqual(['bay', 'b-1', '[{"type":"bay","id":"b-1"}]']);
  });

  it('treats a type ending in .* as a prefix, with LIKE wildcards in the name taken literally', () => {
    expect(buildListQuery({ type: 'robot.*', limit: 5 })).toMatchObject({ values: ['robot.%', 6] });
    expect(buildListQuery({ type: 'sensor.payload_%.*', limit: 5 }).values[0]).toBe('sensor.payload\\_\\%.%');
    const exact = buildListQuery({ type: 'robot.online', limit: 5 });
    expect(exact.text).toContain('type = $1');
    expect(exact.values[0]).toBe('robot.online');
  });

  it('adds the lowest severity number so the partial index of problems can be used', () => {
    const query = buildListQuery({ severity: ['CRITICAL', 'ERROR'], limit: 5 });
    expect(query.text).toContain('severity = ANY($1::text[]) AND severity_number >= $2::smallint');
    expect(query.values).toEqual([['CRITICAL', 'ERROR'], 17, 6]);
  });

  it('refuses a limit outside 1..1000', () => {
    for (const limit of [0, 1001, 2.5, Number.NaN]) expect(() => buildListQuery({ limit })).toThrow(/limit must be/);
  });

  it('refuses a garbage cursor with an error naming the problem', () => {
    expect(() => buildListQuery({ limit: 5, cursor: 'garbage' })).toThrow(InvalidCursorError);
  });
});

describe('cursor', () => {
  it('round-trips the position of the last event of a page', () => {
    const position = { occurredAt: '2026-05-31T21:30:00.000Z', id: '0196b8a4-0000-7000-8000-000000000001' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'garbage'],
    ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a bad id', Buffer.from('{"occurredAt":"2026-05-31T21:30:00.000Z","id":"x"}').toString('base64url')],
    [
      'an injected timestamp',
      Buffer.from(`{"occurredAt":"${HOSTILE}","id":"0196b8a4-0000-7000-8000-000000000001"}`).toString('base64url'),
    ],
  ])('rejects %s', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(/not a cursor from this API; pass the "next" value/);
  });
});
