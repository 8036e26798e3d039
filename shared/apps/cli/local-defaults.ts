import { resolve } from 'node:path';
import { readOwnerUrl, readStackInfo } from '../local/stack-info.ts';

/** What a running `trail start` offers the other commands, as the environment variables they read. */
export interface LocalDefaults {
  /** The API (`report`, `prove`, `status`). */
  TRAIL_URL?: string;
  /** The schema owner's database (`migrate`, `maintain`, `archive`, `history`). */
  DATABASE_URL?: string;
  /** The archive (`maintain`, `archive`, `history`, `verify`). */
  ARCHIVE_URL?: string;
}

/** Commands that take nothing from the running stack: it is theirs (`start`), or they need no location. */
const NOT_FROM_STACK = new Set(['start', 'help', 'verify-proof']);

/**
 * Fills in, for one `trail` command, what the running local stack of DATA_DIR (or `--data-dir`) says in
 * DATA_DIR/stack.json and DATA_DIR/owner-database-url, where neither the environment nor a flag says otherwise:
 * flags win over the environment (commander), the environment over the stack. `trail verify` keeps its own login
 * (audit_sealer), so it takes no DATABASE_URL. With no stack running nothing is set, and each command says what it
 * is missing. Returns what it set, and what takes it out again (in-process callers: tests).
 */
export async function applyLocalDefaults(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ applied: LocalDefaults; restore(): void }> {
  const applied: LocalDefaults = {};
  const restore = () => {
    for (const name of Object.keys(applied)) delete env[name];
  };
  const command = argv.find((arg) => !arg.startsWith('-'));
  if (!command || NOT_FROM_STACK.has(command) || argv.includes('--help') || argv.includes('-h'))
    return { applied, restore };
  const dataDir = resolve(flagValue(argv, '--data-dir') ?? env.DATA_DIR ?? '.data');
  const info = await readStackInfo(dataDir).catch(() => undefined);
  if (!info) return { applied, restore };
  const set = (name: keyof LocalDefaults, value: string | undefined) => {
    if (value === undefined || env[name] !== undefined) return;
    env[name] = value;
    applied[name] = value;
  };
  set('TRAIL_URL', info.httpUrl);
  set('ARCHIVE_URL', info.archiveUrl);
  if (command !== 'verify' && !env.DB_HOST) set('DATABASE_URL', await readOwnerUrl(dataDir));
  return { applied, restore };
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}
