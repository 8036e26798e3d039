import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Random } from '../bench/events.ts';
import { archiveFileKey } from '../shared/core/archive/schema.ts';
import { addMonths, monthOf } from '../shared/core/domain/month.ts';
import { ARCHIVE_RETENTION_MONTHS, OLD_MONTH_BACK } from './events.ts';
import { sleep } from './stack.ts';

export interface ArchivePhase {
  trail: string;
  ownerUrl: string;
  archiveRoot: string;
  workDir: string;
  kills: number;
  random: Random;
  deadline: number;
  log: (message: string) => void;
}

export interface ArchiveFigures {
  archive_kills: number;
  archive_write_failures: number;
  archive_runs: number;
  archive_complete: boolean;
}

/** ARCHIVE_ROWS_PER_FILE's minimum: a month of a few thousand rows is written in several files. */
const ROWS_PER_FILE = 1000;

/**
 * The old month archived by `trail maintain` as a child process: first with a write failure in the middle of the
 * export (a folder where its second file goes), then killed (-9) at random moments of the resumed export, then left
 * to finish.
 */
export async function archiveUnderFaults(phase: ArchivePhase): Promise<ArchiveFigures> {
  const figures: ArchiveFigures = {
    archive_kills: 0,
    archive_write_failures: 0,
    archive_runs: 0,
    archive_complete: false,
  };
  const month = addMonths(monthOf(new Date()), -OLD_MONTH_BACK);
  const obstacle = join(phase.archiveRoot, archiveFileKey(month, 1, 1));
  await mkdir(obstacle, { recursive: true });
  await writeFile(join(obstacle, 'in-the-way'), 'a folder where the export writes a file: the write fails\n');
  const failed = await maintain(phase, undefined);
  figures.archive_runs += 1;
  if (failed.code !== 0 && /in-the-way|EISDIR|ENOTEMPTY|EEXIST|directory/i.test(failed.output)) {
    figures.archive_write_failures += 1;
    phase.log(`archive: the export failed as it should (a write failed), exit ${failed.code}, after ${failed.ms} ms`);
  } else phase.log(`archive: the write failure did not happen (exit ${failed.code}): ${failed.output.slice(-300)}`);
  await rm(obstacle, { recursive: true, force: true });
  await rm(`${obstacle}.partial`, { force: true });

  const monthFolder = dirname(obstacle);
  for (let i = 0; i < phase.kills && Date.now() < phase.deadline; i++) {
    const run = await maintain(phase, { folder: monthFolder, random: phase.random });
    figures.archive_runs += 1;
    if (run.killed) figures.archive_kills += 1;
    else if (run.code === 0) break;
  }
  while (Date.now() < phase.deadline) {
    const run = await maintain(phase, undefined);
    figures.archive_runs += 1;
    const status = /"status":\s*"(\w+)"/.exec(run.output)?.[1];
    if (run.code === 0 && status === 'done') {
      figures.archive_complete = true;
      break;
    }
    phase.log(`archive: trail maintain ended ${status ?? `with exit ${run.code}`}; again in 2 s`);
    await sleep(2000);
  }
  return figures;
}

/** Where to kill: once the export has written a file more into `folder`, after a random 0–50 ms. */
interface KillPoint {
  folder: string;
  random: Random;
}

/** One `trail maintain --json`, killed (-9) in the middle of its export when `kill` says where. */
async function maintain(phase: ArchivePhase, kill: KillPoint | undefined) {
  const started = Date.now();
  const before = kill ? await partFiles(kill.folder) : 0;
  const child = spawn(process.execPath, [phase.trail, 'maintain', '--json'], {
    env: {
      ...process.env,
      DATABASE_URL: phase.ownerUrl,
      RETENTION_MONTHS: String(ARCHIVE_RETENTION_MONTHS),
      ARCHIVE_URL: `file://${phase.archiveRoot}`,
      ARCHIVE_ROWS_PER_FILE: String(ROWS_PER_FILE),
      ARCHIVE_WORK_DIR: phase.workDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const exit = new Promise<number | null>((done) =>
    child.once('exit', (exitCode) => {
      exited = true;
      done(exitCode);
    }),
  );
  let killed = false;
  if (kill) {
    while (!exited && (await partFiles(kill.folder)) <= before) await sleep(5);
    await sleep(Math.floor(kill.random() * 50));
    if (!exited) killed = child.kill('SIGKILL');
  }
  const code = await exit;
  return { code, output, killed: killed && code === null, ms: Date.now() - started };
}

async function partFiles(folder: string): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.parquet')).length;
}
