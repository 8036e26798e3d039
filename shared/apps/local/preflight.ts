import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LocalConfig } from './config.ts';

/** The lock file of a running `trail start` in its DATA_DIR: the pid of the process that holds it. */
export const START_LOCK_FILE = 'trail.pid';

/**
 * Takes DATA_DIR for this process: one stack per folder (two would share the embedded cluster, the queue journal and the
 * passwords). A lock whose process is gone (killed, crashed) is stale and taken over. Returns the release.
 */
export async function acquireStartLock(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, START_LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
        if (holder === process.pid) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder))
      throw new Error(
        `another trail start is running in ${dataDir} (pid ${holder}): stop it, or set DATA_DIR to another folder`,
      );
    await rm(file, { force: true }); // stale: its process is gone
  }
}

/** Whether a process with that pid exists (and, where /proc tells, is a Node.js process, not a reused pid). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * The fixed ports the stack will listen on, tried before anything starts: every taken one is named with the variable
 * to change. (A port taken between this check and the listen still fails, with the same message, from the listener.)
 */
export async function assertPortsFree(config: LocalConfig): Promise<void> {
  const wanted: [string, number, string][] = [['PORT', config.PORT, 'set PORT to a free port']];
  if (!config.MQTT_URL)
    wanted.push([
      'MQTT_PORT',
      config.MQTT_PORT,
      `another broker, e.g. Mosquitto? Set MQTT_PORT to a free port, or MQTT_URL=mqtt://127.0.0.1:${config.MQTT_PORT} to use that broker`,
    ]);
  if (!config.DATABASE_URL)
    wanted.push([
      'PG_PORT',
      config.PG_PORT,
      'set PG_PORT to a free port (or 0 for any), or DATABASE_URL to use that server',
    ]);
  const taken: string[] = [];
  for (const [name, port, fix] of wanted) {
    if (port !== 0 && !(await isFree(port))) taken.push(`${name} ${port} is already in use (${fix})`);
  }
  if (taken.length > 0) throw new Error(`${taken.join('; ')}; nothing was started`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
