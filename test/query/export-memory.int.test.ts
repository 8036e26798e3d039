import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { type LocalApi, startLocalApi } from '../../shared/apps/local/http-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { queryApi } from './api-support.ts';
import { insertLargeSensorEvents, NOW } from './fixture.ts';

const ROWS = 100_000;
let db: TestDatabase;
let reader: pg.Pool;
let server: LocalApi;
let buffered: ReturnType<typeof queryApi>;
/** Sizes of the chunks the handler hands the server, as it streams. */
const chunkSizes: number[] = [];

async function* measured(body: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const chunk of body) {
    chunkSizes.push(Buffer.byteLength(chunk));
    yield chunk;
  }
}

beforeAll(async () => {
  db = await createTestDatabase('query_export_memory');
  // 100k events of ~2 KiB, one a second from May 8: an export of over 200 MB.
  await insertLargeSensorEvents(db.pool, ROWS);
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  const streaming = queryApi(reader, () => NOW, { streamExports: true });
  buffered = queryApi(reader, () => NOW);
  server = await startLocalApi({
    port: 0,
    tokens: new Map([['export-token', { user: 'ann', role: 'auditor' }]]),
    routes: {
      'GET /events/export': async (event) => {
        const result = await streaming.handler(event);
        return { ...result, bodyStream: measured(result.bodyStream!) };
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await reader?.end();
  await db?.drop();
});

describe('export of 100k rows', () => {
  it('streams through the local API with bounded memory', async () => {
    const response = await fetch(`${server.url}/events/export?format=ndjson&type=sensor.*`, {
      headers: { authorization: 'Bearer export-token' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="audit-sensor._-20260503T1215Z-20260510T1215Z.ndjson"',
    );
    // What the process holds, not what the collector has yet to free: collect first, then sample (vitest runs the
    // workers with --expose-gc).
    const retained = () => {
      (globalThis as { gc?: () => void }).gc!();
      return process.memoryUsage().heapUsed;
    };
    const baseline = retained();
    let peak = baseline;
    let bytes = 0;
    let lines = 0;
    let chunks = 0;
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      bytes += chunk.length;
      lines += decoder.decode(chunk, { stream: true }).split('\n').length - 1;
      if (++chunks % 100 === 0) peak = Math.max(peak, retained());
    }
    peak = Math.max(peak, retained());
    expect(lines).toBe(ROWS);
    expect(bytes).toBeGreaterThan(200 * 1024 * 1024);
    // Written page by page: one page of 1000 rows is about 2.3 MB.
    expect(chunkSizes.length).toBeGreaterThanOrEqual(ROWS / 1000);
    expect(Math.max(...chunkSizes)).toBeLessThan(4 * 1024 * 1024);
    // Retained memory, sampled after collections, stays a small fraction of the export's 200 MB: it was never held
    // whole (client and server share this process; about 8 MB is retained here).
    expect(peak - baseline).toBeLessThan(32 * 1024 * 1024);
  }, 120_000);

  it('is refused with a 413 where the response must be buffered (API Gateway)', async () => {
    const { status, json } = await buffered.call('GET /events/export', { query: { format: 'csv' } });
    expect(status).toBe(413);
    expect(json.error).toMatch(/narrow since\/until .* archive/);
    // Recorded before it was read, and its outcome: nothing was sent.
    const [accessed, completed] = buffered.queue.events();
    expect(accessed).toMatchObject({ type: 'audit.accessed', payload: { route: 'GET /events/export' } });
    expect(completed).toMatchObject({
      type: 'audit.access.completed',
      payload: { accessId: accessed!.id, outcome: 'cut', rows: 0, reason: expect.stringMatching(/nothing was sent/) },
    });
  });
});
