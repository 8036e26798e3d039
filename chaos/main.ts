import { type ChaosOptions, parseChaosArgs, USAGE } from './options.ts';
import { machineLoad, type RunFigures, runOnce } from './run.ts';

export interface ChaosReport extends Record<string, unknown> {
  accepted: number;
  stored: number;
  lost: number;
  duplicated: number;
  dead_lettered: number;
  kills: number;
  pg_restarts: number;
  bad_inputs: number;
  bad_inputs_5xx: number;
  bad_inputs_stored: number;
  stack_crashes: number;
  runs: number;
  complete: boolean;
  seconds: number;
}

/** What makes a run fail: anything accepted lost or stored twice, a bad input answered 5xx or stored, a crash. */
export function failures(report: ChaosReport): string[] {
  const problems: string[] = [];
  if (report.lost > 0) problems.push(`${report.lost} accepted ids were lost`);
  if (report.duplicated > 0) problems.push(`${report.duplicated} ids are stored more than once`);
  if (report.bad_inputs_5xx > 0) problems.push(`${report.bad_inputs_5xx} bad inputs were answered 5xx`);
  if (report.bad_inputs_stored > 0) problems.push(`${report.bad_inputs_stored} ids of bad inputs were stored`);
  if (report.stack_crashes > 0) problems.push(`the stack exited by itself ${report.stack_crashes} times`);
  if (!report.complete) problems.push('the deadline stopped the run before it could finish: the figures are partial');
  return problems;
}

/** Runs the profile and sums its runs' figures; progress goes to `log`. */
export async function runChaos(options: ChaosOptions, log: (message: string) => void): Promise<ChaosReport> {
  const started = Date.now();
  const deadline = started + options.maxSeconds * 1000;
  const loadBefore = machineLoad();
  const runs: RunFigures[] = [];
  let complete = true;
  for (let run = 1; run <= options.runs; run++) {
    if (Date.now() > deadline - 60_000) {
      complete = false;
      break;
    }
    try {
      runs.push(await runOnce(options, run, deadline, log));
      const last = runs.at(-1)!;
      log(`run ${run}: ${JSON.stringify(pick(last, HEADLINE))}`);
      if (!last.archive_complete) complete = false;
    } catch (error) {
      complete = false;
      log(`run ${run} did not finish: ${(error as Error).stack ?? error}`);
      break;
    }
  }
  if (Date.now() > deadline) complete = false;
  const sum = (key: keyof RunFigures) => runs.reduce((total, figures) => total + Number(figures[key] ?? 0), 0);
  const numeric = runs[0]
    ? (Object.keys(runs[0]) as (keyof RunFigures)[]).filter((k) => typeof runs[0]![k] !== 'object')
    : [];
  const totals = Object.fromEntries(numeric.filter((k) => typeof runs[0]![k] === 'number').map((k) => [k, sum(k)]));
  return {
    accepted: sum('accepted'),
    stored: sum('stored'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    dead_lettered: sum('dead_lettered'),
    kills: sum('kills'),
    pg_restarts: sum('pg_restarts'),
    bad_inputs: sum('bad_inputs'),
    bad_inputs_5xx: sum('bad_inputs_5xx'),
    bad_inputs_stored: sum('bad_inputs_stored'),
    stack_crashes: sum('stack_crashes'),
    ...totals,
    runs: runs.length,
    complete,
    seconds: Math.round((Date.now() - started) / 1000),
    seed: options.seed,
    machine_load: { before: loadBefore, after: machineLoad() },
    lost_sample: runs.flatMap((r) => r.lost_sample).slice(0, 5),
    duplicated_sample: runs.flatMap((r) => r.duplicated_sample).slice(0, 5),
  };
}

const HEADLINE = [
  'accepted',
  'stored',
  'lost',
  'duplicated',
  'dead_lettered',
  'kills',
  'pg_restarts',
  'bad_inputs',
  'bad_inputs_5xx',
] as const;

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}

/** `npm run chaos -- …`: the JSON line on stdout, progress on stderr; exit 1 on any failure. */
export async function main(argv: string[]): Promise<number> {
  let options: ChaosOptions | 'help';
  try {
    options = parseChaosArgs(argv);
  } catch (error) {
    console.error(`npm run chaos: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const report = await runChaos(options, (message) => console.error(`[chaos] ${message}`));
  console.log(JSON.stringify(report));
  const problems = failures(report);
  for (const problem of problems) console.error(`[chaos] FAILED: ${problem}`);
  return problems.length > 0 ? 1 : 0;
}

// Run as a script (npm run chaos), not when a test imports main().
if (process.argv[1]?.endsWith('chaos/main.ts')) {
  const code = await main(process.argv.slice(2));
  // A library may keep a handle open (an MQTT socket closing, DuckDB): the report is out, so exit.
  setTimeout(() => process.exit(code), 500).unref();
  process.exitCode = code;
}
