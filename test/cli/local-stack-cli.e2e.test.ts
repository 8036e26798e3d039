import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { addMonths, formatMonth, monthOf } from '../../shared/core/domain/month.ts';
import { operationsStatusSchema } from '../../shared/core/operations/status.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';

const ADMIN = 'cli-admin-token';
const OPERATOR = 'cli-operator-token';
const DEVICE = 'cli-device-token';
const ROOT = join(import.meta.dirname, '..', '..');

let db: TestDatabase;
let stack: LocalStack & { dataDir: string };

beforeAll(async () => {
  db = await createTestDatabase('cli_local_stack');
  stack = await startTestStack(db.url, `${ADMIN}=ada:admin,${OPERATOR}=otto:operator,${DEVICE}=plc-9:device`);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** `trail …` as a user types it next to `npm start`: DATA_DIR only, no DATABASE_URL, TRAIL_URL or ARCHIVE_URL. */
function trail(...argv: string[]) {
  vi.stubEnv('DATA_DIR', stack.dataDir);
  vi.stubEnv('TRAIL_TOKEN', ADMIN);
  for (const name of ['DATABASE_URL', 'DB_HOST', 'TRAIL_URL', 'ARCHIVE_URL'])
    vi.stubEnv(name, undefined as unknown as string);
  return runTrail(argv);
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function partitions(): Promise<string[]> {
  const { rows } = await db.pool.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1",
  );
  return rows.map((row) => row.name.replace(/^events_(\d{4})_(\d{2})$/, '$1-$2'));
}

describe('trail finds the running local stack by DATA_DIR/stack.json', () => {
  it('trail status prints the operations view of the stack: queue, partitions, last seal, no sinks', async () => {
    await stack.sealNow();
    const { code, out, err } = await trail('status');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^queue: \d+ waiting, \d+ in flight, oldest /m);
    expect(out).toMatch(/^dead letters: 0$/m);
    expect(out).toContain(`partitions: `);
    expect(out).toContain(formatMonth(monthOf(new Date())));
    expect(out).toMatch(/^last seal: \S+ sealed \d+ events: checkpoint \d+/m);
    expect(out).toMatch(/^sink lag: no sinks configured$/m);
  });

  it('trail status --json is the API answer, which the schema reads', async () => {
    const { code, out } = await trail('status', '--json');
    expect(code).toBe(0);
    const status = operationsStatusSchema.parse(JSON.parse(out));
    expect(status.sinks).toEqual([]);
    expect(status.partitions?.months).toContain(formatMonth(monthOf(new Date())));
  });

  it('trail maintain --dry-run prints the plan and changes nothing; --now says it acts for real, and does', async () => {
    // Past the partitions made ahead (PREMAKE_MONTHS, 3), not so far that a month expires (RETENTION_MONTHS, 13).
    const later = addMonths(monthOf(new Date()), 6);
    const now = `${formatMonth(later)}-15T00:00:00Z`;
    const before = await partitions();
    expect(before).not.toContain(formatMonth(later));

    const dry = await trail('maintain', '--now', now, '--dry-run');
    expect(dry.err).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('nothing is changed');
    expect(dry.out).toMatch(new RegExp(`would create partitions: .*${formatMonth(later)}`));
    expect(await partitions()).toEqual(before);

    const real = await trail('maintain', '--now', now);
    expect(real.code).toBe(0);
    expect(real.out.split('\n')[0]).toMatch(/^acting for real as of .*--dry-run prints the plan without acting$/);
    expect(await partitions()).toContain(formatMonth(later));
  });

  it('trail report fetches from the stack by default, and names a URL nothing answers on', async () => {
    const out = join(stack.dataDir, 'report.html');
    const saved = await trail('report', '--out', out, '--since', '1h');
    expect(saved.err).toBe('');
    expect(saved.code).toBe(0);
    expect(await readFile(out, 'utf8')).toContain('<html');

    const closed = await closedPort();
    const wrong = await trail('report', '--url', `http://127.0.0.1:${closed}`, '--out', out);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`trail report: no API answers at http://127.0.0.1:${closed} (ECONNREFUSED)`);
  });

  it('prints no AWS SDK Node-version warning (a command that makes an SQS client, as the bin runs it)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: stack.dataDir };
    delete env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'trail.mjs'), 'dlq', 'list'], { env });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('GET /operations on the stack', () => {
  const get = (token: string, query = '') =>
    fetch(`${stack.httpUrl}/operations${query}`, { headers: { authorization: `Bearer ${token}` } });

  it('answers an operator with the figures, and records the read as audit.accessed', async () => {
    const response = await get(OPERATOR);
    expect(response.status).toBe(200);
    const status = operationsStatusSchema.parse(await response.json());
    expect(status.lastMaintenance?.status).toBe('done');
    expect(status.partitions?.nextMaintenanceAt).not.toBeNull();
    await stack.drain();
    await expect
      .poll(
        async () => {
          const { rows } = await db.pool.query(
            "SELECT 1 FROM events WHERE type = 'audit.accessed' AND payload->>'route' = 'GET /operations' AND actor = 'user:otto'",
          );
          return rows.length;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
  });

  it('refuses a device (403) and an unstorable parameter (400)', async () => {
    expect((await get(DEVICE)).status).toBe(403);
    const bad = await get(ADMIN, '?x=%00');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { parameter: string }).parameter).toBe('x');
  });
});
