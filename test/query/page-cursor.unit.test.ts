import { describe, expect, it } from 'vitest';
import {
  applyPageCursor,
  encodePageCursor,
  hmacCursorSigner,
  MAX_CURSOR_LENGTH,
} from '../../shared/core/query/page-cursor.ts';
import { eventsQuerySchema, parseParams, resolveFilter } from '../../shared/core/query/params.ts';

const NOW = new Date('2026-05-10T12:00:00.000Z');
const HOSTILE = `'; DROP TABLE events; --`;
const sign = hmacCursorSigner('unit-test-deployment-secret-0123456789');
const NOT_OURS = /^not a cursor from this API; pass the "next" value of a previous page unchanged/;

function filterOf(query: Record<string, string>) {
  const params = parseParams(eventsQuerySchema, query);
  if (!params.ok) throw new Error(params.message);
  const result = resolveFilter(params.value, NOW);
  if (!result.ok) throw new Error(`${result.parameter}: ${result.message}`);
  return result.value;
}

const filter = filterOf({ since: '24h', type: 'robot.*' });
const scope = { filter, order: 'desc', user: 'ann', route: 'events', maxWindowDays: 93 } as const;
const last = { occurredAt: '2026-05-10T08:00:00.000Z', id: '0195519a-0000-7000-8000-000000000001' };
const state = { phase: 'postgres', after: last } as const;
const issued = () => encodePageCursor(sign, scope, state);

/** The cursor's JSON with some fields replaced, its signature kept: what a client can forge without the secret. */
function forged(fields: Record<string, unknown>): string {
  const [body, mac] = issued().split('.');
  const json = JSON.parse(Buffer.from(body!, 'base64url').toString());
  return `${Buffer.from(JSON.stringify({ ...json, ...fields })).toString('base64url')}.${mac}`;
}

describe('page cursors', () => {
  it('carry the window of the first page', () => {
    const later = filterOf({ since: '24h', type: 'robot.*' });
    later.since = new Date(later.since.getTime() + 60_000);
    expect(applyPageCursor(sign, issued(), { ...scope, filter: later })).toEqual({ ok: true, filter, state });
  });

  it('are URL-safe text', () => {
    expect(issued()).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['not base64 JSON', () => 'garbage'],
    ['an unsigned cursor of the old format', () => Buffer.from('{"a":1}').toString('base64url')],
    ['a bad id', () => forged({ state: { phase: 'postgres', after: { ...last, id: 'x' } } })],
    ['an injected timestamp', () => forged({ state: { phase: 'postgres', after: { ...last, occurredAt: HOSTILE } } })],
    ['another archive job', () => forged({ state: { phase: 'archive', job: 'someone-elses-query' } })],
    ['an injected window', () => forged({ since: HOSTILE })],
    ['an unknown field', () => forged({ sql: HOSTILE })],
    ['a widened window, filters kept', () => forged({ since: '1926-05-10T12:00:00.000Z' })],
    ['a cursor moved to another user', () => forged({ user: 'bob' })],
    ['a third part', () => `${issued()}.x`],
    ['a truncated signature', () => issued().slice(0, -2)],
  ])('refuse %s, saying what to pass instead', (_, cursor) => {
    expect(applyPageCursor(sign, cursor(), scope)).toEqual({ ok: false, message: expect.stringMatching(NOT_OURS) });
  });

  it('refuse a cursor with any character of it changed', () => {
    const cursor = issued();
    for (let at = 0; at < cursor.length; at++) {
      const changed = cursor.slice(0, at) + (cursor[at] === 'A' ? 'B' : 'A') + cursor.slice(at + 1);
      expect(applyPageCursor(sign, changed, scope).ok, `character ${at}`).toBe(false);
    }
  });

  it('refuse a cursor signed by another deployment', () => {
    const other = hmacCursorSigner('another-deployment-secret-9876543210ab');
    expect(applyPageCursor(sign, encodePageCursor(other, scope, state), scope)).toEqual({
      ok: false,
      message: expect.stringMatching(/signature does not match: it was altered, or issued by another deployment/),
    });
  });

  it('refuse another user, other filters, or another order', () => {
    expect(applyPageCursor(sign, issued(), { ...scope, user: 'bob' })).toEqual({
      ok: false,
      message: 'was issued to another user; start again without a cursor',
    });
    const otherFilters = {
      ok: false,
      message: 'belongs to other filters, another route or another order; start again without a cursor',
    };
    expect(applyPageCursor(sign, issued(), { ...scope, route: 'entity history' })).toEqual(otherFilters);
    expect(applyPageCursor(sign, issued(), { ...scope, filter: filterOf({ since: '24h' }) })).toEqual(otherFilters);
    expect(applyPageCursor(sign, issued(), { ...scope, order: 'asc' })).toEqual(otherFilters);
    // The types a reader may not see are part of the filters: a reader whose role narrowed starts again.
    const narrowed = { ...filter, hiddenTypePrefixes: ['audit.', 'user.'] };
    expect(applyPageCursor(sign, issued(), { ...scope, filter: narrowed })).toEqual(otherFilters);
  });

  it('of an uncapped route carry a window of years, and an archive job with its result token', () => {
    const years = { ...filter, since: new Date('2001-01-01T00:00:00Z') };
    const history = { filter: years, order: 'desc', user: 'ann', route: 'entity history' } as const;
    const archive = { phase: 'archive', from: last, before: last, job: 'q-1', token: 'T'.repeat(1024) } as const;
    const cursor = encodePageCursor(sign, history, archive);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(applyPageCursor(sign, cursor, history)).toEqual({ ok: true, filter: years, state: archive });
    // The same window on a capped route is refused: only a forged cursor could carry it there.
    expect(applyPageCursor(sign, encodePageCursor(sign, { ...history, route: 'events' }, archive), scope).ok).toBe(
      false,
    );
  });

  it('need a secret of at least 32 bytes', () => {
    expect(() => hmacCursorSigner('short')).toThrow(/at least 32 bytes/);
  });
});
