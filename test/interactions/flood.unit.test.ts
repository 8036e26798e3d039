import { describe, expect, it } from 'vitest';
import { FailureSummarizer } from '../../shared/core/interactions/flood.ts';
import type { Interaction } from '../../shared/core/interactions/interaction.ts';

const T0 = Date.parse('2026-05-10T12:00:00.000Z');
const request = (ms: number, overrides: Partial<Interaction> = {}): Interaction => ({
  method: 'GET',
  route: 'GET /events',
  status: 401,
  sourceIp: '203.0.113.7',
  userAgent: 'curl/8',
  requestId: `r-${ms}`,
  durationMs: 1,
  at: new Date(T0 + ms),
  ...overrides,
});

describe('flood control of the interaction log', () => {
  it('records every success', () => {
    const summarizer = new FailureSummarizer();
    for (let i = 0; i < 5; i++) expect(summarizer.offer(request(i, { status: 200 }))).toHaveLength(1);
    expect(summarizer.size).toBe(0);
  });

  it('records the first failure of a minute at once and the rest as one summary once the minute is over', () => {
    const summarizer = new FailureSummarizer();
    const written = Array.from({ length: 1000 }, (_, i) => summarizer.offer(request(i * 50))).flat();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ count: 1, requestId: 'r-0' });
    expect(summarizer.due(new Date(T0 + 59_999))).toEqual([]);
    const [summary] = summarizer.due(new Date(T0 + 60_000));
    expect(summary).toMatchObject({
      count: 999,
      requestId: 'r-50',
      firstAt: new Date(T0 + 50),
      lastAt: new Date(T0 + 49_950),
    });
    expect(summarizer.size).toBe(0);
  });

  it('keeps bursts apart by route, status, source IP and principal', () => {
    const summarizer = new FailureSummarizer();
    const variants: Partial<Interaction>[] = [
      {},
      { route: 'GET /stats' },
      { status: 403 },
      { sourceIp: '198.51.100.1' },
      { principal: { user: 'otto', roles: ['operator'] } },
    ];
    for (const variant of variants) expect(summarizer.offer(request(0, variant))).toHaveLength(1);
    for (const variant of variants) expect(summarizer.offer(request(10, variant))).toEqual([]);
    expect(summarizer.drain().map((s) => s.count)).toEqual([1, 1, 1, 1, 1]);
  });

  it('a new minute writes the last one’s summary and starts a new burst', () => {
    const summarizer = new FailureSummarizer();
    summarizer.offer(request(0));
    summarizer.offer(request(1));
    summarizer.offer(request(2));
    const written = summarizer.offer(request(60_000));
    expect(written.map((r) => r.count)).toEqual([2, 1]);
  });

  it('holds at most maxBursts: at the limit every held summary is written, nothing is lost', () => {
    const summarizer = new FailureSummarizer(3);
    const written = [];
    for (let ip = 0; ip < 10; ip++)
      for (let i = 0; i < 4; i++) written.push(...summarizer.offer(request(i, { sourceIp: `10.0.0.${ip}` })));
    expect(summarizer.size).toBeLessThanOrEqual(3);
    written.push(...summarizer.drain());
    expect(written.reduce((sum, r) => sum + r.count, 0)).toBe(40);
    expect(written.length).toBeLessThanOrEqual(20);
  });
});
