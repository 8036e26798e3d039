import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TOKEN = 'proc-admin-token';

/** This run's passwords of the server-wide login users, so the stack does not change them under other test files. */
function loginPasswordsEnv() {
  const passwords = inject('loginPasswords');
  return {
    DB_WRITER_PASSWORD: passwords.audit_writer,
    DB_READER_PASSWORD: passwords.audit_reader,
    DB_SEALER_PASSWORD: passwords.audit_sealer,
  };
}

interface Running {
  child: ChildProcess;
  httpUrl: string;
  output: string[];
  exited: Promise<number | null>;
}

/** Starts `trail start` as a user would (the `npm start` script), and waits for it to say it is ready. */
async function startTrail(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['bin/trail.mjs', 'start'], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: '', PORT: '0', MQTT_PORT: '0', LOCAL_TOKENS: `${TOKEN}=ops:admin`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const text = output.join('');
      const url = /HTTP API (http:\/\/[\d.]+:\d+)/.exec(text)?.[1];
      if (url && text.includes('[trail] ready')) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => reject(new Error(`exited with ${code} before ready:\n${output.join('')}`)));
  });
  return { child, httpUrl, output, exited };
}

/** Runs `trail start` expecting it to fail: its exit code, everything it printed, and how long it took. */
async function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/trail.mjs', 'start'], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: '0', MQTT_PORT: '0', LOCAL_TOKENS: `${TOKEN}=ops:admin`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output: output.join(''), ms: Date.now() - started };
}

/** A PostgreSQL URL nothing answers on: start-up must fail before it would connect. */
const UNREACHABLE_DATABASE = 'postgres://nobody@127.0.0.1:1/none';

/** Holds a port as another program would. */
async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

function postEvents(httpUrl: string, events: unknown[]) {
  return fetch(`${httpUrl}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
}

const batch = (entity: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'container.weight.captured',
    entity: { type: 'container', id: entity },
    occurredAt: new Date(Date.UTC(2026, 6, 1, 0, 0, i)).toISOString(),
    payload: { value: i },
  }));

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trail-start-'));
  // As root, embedded PostgreSQL runs as the OS user postgres, which must be able to enter the folder.
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('trail start (npm start)', () => {
  it('runs on embedded defaults, and Ctrl-C loses nothing that was accepted', async () => {
    const first = await startTrail({ DATA_DIR: join(dataDir, 'embedded') });
    expect(first.output.join('')).toContain('PostgreSQL (embedded)');
    expect((await postEvents(first.httpUrl, batch('c-ctrl-c', 500))).status).toBe(202);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    // Same data folder, next start: everything accepted before Ctrl-C is stored.
    const second = await startTrail({ DATA_DIR: join(dataDir, 'embedded') });
    try {
      const response = await fetch(
        `${second.httpUrl}/events?entity=container:c-ctrl-c&since=2026-07-01T00:00:00Z&limit=1000`,
        {
          headers: { authorization: `Bearer ${TOKEN}` },
        },
      );
      const { events } = (await response.json()) as { events: unknown[] };
      expect(events).toHaveLength(500);
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }
  }, 120_000);

  describe('when the writer cannot write (everything accepted stays queued)', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('e2e_journal');
    });
    afterAll(async () => {
      await db?.drop();
    });
    // The events posted and published, not the trail's own records of the requests (audit.api.request).
    const stored = async () =>
      Number(
        (await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE source_channel <> 'internal'"))
          .rows[0]!.n,
      );

    it('kill -9 loses nothing answered 202 over HTTP or acknowledged over MQTT: the next start writes it', async () => {
      const folder = join(dataDir, 'kill-9');
      // The writer role loses INSERT: accepted events can only be in the queue when the process is killed.
      await db.pool.query('REVOKE INSERT ON events FROM audit_writer');
      const first = await startTrail({ DATABASE_URL: db.url, DATA_DIR: folder, ...loginPasswordsEnv() });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postEvents(first.httpUrl, batch(`c-kill-${i}`, 50))),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
      const mqttUrl = /MQTT broker \(embedded, MQTT 3\.1\.1\) (mqtt:\/\/[\d.]+:\d+)/.exec(first.output.join(''))![1]!;
      // The default dev device (LOCAL_DEVICES unset), as `npm start` prints it.
      expect(first.output.join('')).toContain('password dev-device-secret; set LOCAL_DEVICES to change it');
      const device = await mqtt.connectAsync(mqttUrl, {
        clientId: 'r-17',
        username: 'r-17',
        password: 'dev-device-secret',
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      for (let i = 0; i < 20; i++) {
        const event = { type: 'robot.online', entity: { type: 'robot', id: 'r-kill' }, payload: { i } };
        // Resolves on PUBACK: the device may now forget the message.
        await device.publishAsync('audit/r-17/events', JSON.stringify(event), { qos: 1 });
      }
      device.end(true);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(await stored()).toBe(0);

      await db.pool.query('GRANT INSERT ON events TO audit_writer');
      const second = await startTrail({ DATABASE_URL: db.url, DATA_DIR: folder, ...loginPasswordsEnv() });
      try {
        await expect.poll(stored, { timeout: 30_000 }).toBe(20 * 50 + 20);
      } finally {
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
    }, 180_000);

    it('a second Ctrl-C exits at once and still loses nothing', async () => {
      const folder = join(dataDir, 'second-ctrl-c');
      await db.pool.query('REVOKE INSERT ON events FROM audit_writer');
      const first = await startTrail({ DATABASE_URL: db.url, DATA_DIR: folder, ...loginPasswordsEnv() });
      expect((await postEvents(first.httpUrl, batch('c-twice', 50))).status).toBe(202);
      first.child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 200));
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(130);

      await db.pool.query('GRANT INSERT ON events TO audit_writer');
      const second = await startTrail({ DATABASE_URL: db.url, DATA_DIR: folder, ...loginPasswordsEnv() });
      try {
        await expect
          .poll(
            async () =>
              Number(
                (await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE entity_id = 'c-twice'"))
                  .rows[0]!.n,
              ),
            { timeout: 30_000 },
          )
          .toBe(50);
        expect(second.output.join('')).toMatch(/put back on it/);
      } finally {
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
    }, 120_000);
  });
});

describe('trail start fails fast and clearly', () => {
  it('a bad configuration: exit 1 with every bad variable named, and nothing started or created', async () => {
    const dir = join(dataDir, 'bad-config');
    const result = await failedStart({
      DATABASE_URL: UNREACHABLE_DATABASE,
      DATA_DIR: dir,
      LOCAL_TOKENS: 'short=al:admin',
      PORT: 'abc',
      RETENTION_MONTHS: '-1',
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('trail start: configuration error, nothing was started');
    expect(result.output).toMatch(/LOCAL_TOKENS is invalid \("short=al:admin" is not token=user:role/);
    expect(result.output).toMatch(/PORT is invalid \(.+\): HTTP port of the local API/);
    expect(result.output).toMatch(/RETENTION_MONTHS is invalid/);
    expect(result.output).not.toContain('[trail]'); // no service said it started
    expect(result.ms).toBeLessThan(15_000);
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it.each(['PORT', 'MQTT_PORT', 'PG_PORT'])(
    '%s taken: exit 1 within seconds, naming the port and the variable',
    async (name) => {
      const { port, server } = await occupyPort();
      try {
        const result = await failedStart({
          // PG_PORT is the embedded PostgreSQL's: only without DATABASE_URL.
          DATABASE_URL: name === 'PG_PORT' ? '' : UNREACHABLE_DATABASE,
          DATA_DIR: join(dataDir, `taken-${name}`),
          [name]: String(port),
        });
        expect(result.code).toBe(1);
        expect(result.output).toContain(`trail start: ${name} ${port} is already in use`);
        expect(result.output).toMatch(new RegExp(`[sS]et ${name} to a free port`));
        expect(result.ms).toBeLessThan(15_000);
        expect(existsSync(join(dataDir, `taken-${name}`, 'trail.pid'))).toBe(false);
      } finally {
        server.close();
      }
    },
    30_000,
  );

  describe('one start per DATA_DIR', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('e2e_start_lock');
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('a second start in the same DATA_DIR exits 1 saying which process runs there; the first keeps running', async () => {
      const dir = join(dataDir, 'locked');
      const first = await startTrail({ DATABASE_URL: db.url, DATA_DIR: dir, ...loginPasswordsEnv() });
      try {
        expect((await readFile(join(dir, 'trail.pid'), 'utf8')).trim()).toBe(String(first.child.pid));
        const second = await failedStart({ DATABASE_URL: db.url, DATA_DIR: dir, ...loginPasswordsEnv() });
        expect(second.code).toBe(1);
        expect(second.output).toContain(`another trail start is running in ${dir} (pid ${first.child.pid})`);
        expect(second.ms).toBeLessThan(15_000);
        expect((await fetch(`${first.httpUrl}/health`)).status).toBe(200);
        expect((await readFile(join(dir, 'trail.pid'), 'utf8')).trim()).toBe(String(first.child.pid));
      } finally {
        first.child.kill('SIGINT');
        expect(await first.exited).toBe(0);
      }
      expect(existsSync(join(dir, 'trail.pid'))).toBe(false);
    }, 120_000);

    it('a stale lock (its process was killed) does not block the next start', async () => {
      const dir = join(dataDir, 'stale');
      const gone = spawn(process.execPath, ['-e', '']);
      const gonePid = gone.pid!;
      await new Promise((resolve) => gone.once('exit', resolve));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'trail.pid'), `${gonePid}\n`);
      const running = await startTrail({ DATABASE_URL: db.url, DATA_DIR: dir, ...loginPasswordsEnv() });
      try {
        expect((await readFile(join(dir, 'trail.pid'), 'utf8')).trim()).toBe(String(running.child.pid));
        expect((await fetch(`${running.httpUrl}/health`)).status).toBe(200);
      } finally {
        running.child.kill('SIGINT');
        expect(await running.exited).toBe(0);
      }
    }, 120_000);
  });
});
