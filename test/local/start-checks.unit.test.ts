import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStartConfig } from '../../shared/apps/local/config.ts';
import { assertReachableByPostgres } from '../../shared/apps/local/embedded-postgres.ts';
import { startLocalApi } from '../../shared/apps/local/http-server.ts';
import { startEmbeddedBroker } from '../../shared/apps/local/mqtt.ts';
import { acquireStartLock } from '../../shared/apps/local/preflight.ts';

describe('loadStartConfig', () => {
  it('defaults: a configuration that starts', () => {
    expect(loadStartConfig({})).toMatchObject({ PORT: 3000, MQTT_PORT: 1883, PG_PORT: 0, DATA_DIR: '.data' });
  });

  it('names every bad variable at once, the stack’s, the tokens’, the event types’ and the maintenance’s', () => {
    const error = (() => {
      try {
        loadStartConfig({
          MQTT_PORT: '70000',
          LOCAL_TOKENS: 'nope',
          EXTRA_EVENT_TYPES: 'Not Valid',
          PREMAKE_MONTHS: 'x',
          ARCHIVE_URL: 'ftp://host/archive',
        });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected loadStartConfig to throw');
    })();
    expect(error.message).toMatch(/^configuration error, nothing was started:\n/);
    for (const name of ['MQTT_PORT', 'LOCAL_TOKENS', 'EXTRA_EVENT_TYPES', 'PREMAKE_MONTHS', 'ARCHIVE_URL'])
      expect(error.message).toMatch(new RegExp(`\\n  ${name} is invalid \\(`));
    expect(error.message).toContain(
      'ARCHIVE_URL is invalid (ftp://host/archive: only s3:// and file:// are supported)',
    );
  });

  it('refuses two of its listeners on one fixed port, but not on 0 or on a port an external service makes unused', () => {
    expect(() => loadStartConfig({ PORT: '4000', MQTT_PORT: '4000' })).toThrow(
      'MQTT_PORT is invalid (4000 is also PORT)',
    );
    expect(() => loadStartConfig({ PORT: '4000', PG_PORT: '4000' })).toThrow('PG_PORT is invalid (4000 is also PORT)');
    expect(loadStartConfig({ PORT: '0', MQTT_PORT: '0' }).PORT).toBe(0);
    expect(loadStartConfig({ PORT: '4000', PG_PORT: '4000', DATABASE_URL: 'postgres://h/db' }).PG_PORT).toBe(4000);
  });
});

describe('start-up guards', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-checks-')); // mode 700, as mktemp -d makes it
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a data folder the postgres OS user cannot enter is refused with the folder and what to do', async () => {
    await expect(assertReachableByPostgres(join(dir, 'pg'))).rejects.toThrow(
      new RegExp(`cannot enter ${dir} \\(mode 700\\).*Set DATA_DIR to a folder it can reach`),
    );
  });

  it('the lock: a live holder refuses, its release frees the folder, a dead holder’s lock is taken over', async () => {
    const release = await acquireStartLock(dir);
    expect((await readFile(join(dir, 'trail.pid'), 'utf8')).trim()).toBe(String(process.pid));
    await release();
    expect(existsSync(join(dir, 'trail.pid'))).toBe(false);

    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(join(dir, 'trail.pid'), `${gone.pid}\n`);
    const again = await acquireStartLock(dir);
    expect((await readFile(join(dir, 'trail.pid'), 'utf8')).trim()).toBe(String(process.pid));
    await again();

    // A live Node.js process holds it: this test's parent (the vitest main process).
    await writeFile(join(dir, 'trail.pid'), `${process.ppid}\n`);
    await expect(acquireStartLock(dir)).rejects.toThrow(
      `another trail start is running in ${dir} (pid ${process.ppid})`,
    );
  });
});

describe('a port taken after the pre-check', () => {
  async function occupied<T>(use: (port: number) => Promise<T>): Promise<T> {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      return await use((holder.address() as { port: number }).port);
    } finally {
      holder.close();
    }
  }

  it('the HTTP API fails at its listener, naming PORT', async () => {
    await occupied(async (port) => {
      await expect(startLocalApi({ port, tokens: new Map(), routes: {} })).rejects.toThrow(
        `PORT ${port} is already in use: set PORT to a free port`,
      );
    });
  });

  it('the embedded broker fails at its listener, naming MQTT_PORT and the way to use the other broker', async () => {
    await occupied(async (port) => {
      await expect(startEmbeddedBroker(port)).rejects.toThrow(
        new RegExp(`MQTT_PORT ${port} is already in use.*MQTT_URL=mqtt://127\\.0\\.0\\.1:${port}`),
      );
    });
  });
});
