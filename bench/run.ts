import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, type PartName, parseBenchArgs, USAGE } from './args.ts';
import { describeMachine } from './machine.ts';
import { archivePart, maintenancePart } from './parts/lifecycle.ts';
import { buildSummary, evaluateTargets, markdownReport } from './report.ts';
import { startBenchServer } from './server.ts';
import type { BenchContext, BenchPart, PartResult } from './types.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** Parts in run order; e2e, queries, seal and proof load their modules (and the local stack) only when they run. */
const PARTS: Record<PartName, BenchPart> = {
  writer: async (ctx) => (await import('./parts/writer.ts')).writerPart(ctx),
  e2e: async (ctx) => (await import('./parts/e2e.ts')).e2ePart(ctx),
  queries: async (ctx) => (await import('./parts/queries.ts')).queriesPart(ctx),
  archive: archivePart,
  maintenance: maintenancePart,
  seal: async (ctx) => (await import('./parts/seal.ts')).sealPart(ctx),
  proof: async (ctx) => (await import('./parts/proof.ts')).proofPart(ctx),
};

/**
 * `npm run bench`: runs the parts, writes bench/results/<run>.json, prints the table and, last, the summary line.
 * Exit codes: 0 done (or --help), 1 a part failed, 2 the flags were wrong.
 */
export async function runBench(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const started = new Date();
  const run = `${started.toISOString().replace(/[:.]/g, '-')}-${options.quick ? 'quick' : `${options.rows}-rows`}`;
  const log = (message: string) => process.stderr.write(`[bench ${elapsed(started)}] ${message}\n`);
  const server = await startBenchServer();
  const ctx: BenchContext = { options, server, log, plans: [], results: {} };
  let failed = false;
  try {
    const machine = await describeMachine(server.adminUrl, server.embedded);
    log(`${machine.postgres.version}; ${machine.cpus} cpus; load ${machine.loadAverage.join(' ')}`);
    for (const name of options.parts) {
      log(`part ${name}`);
      ctx.results[name] = await PARTS[name](ctx).catch((error: Error): PartResult => {
        failed = true;
        log(`part ${name} failed: ${error.stack ?? error.message}`);
        return { status: 'failed', figures: {}, notes: [`failed: ${error.message}`] };
      });
    }
    const summary = buildSummary(ctx.results);
    const targets = evaluateTargets(summary);
    const finished = new Date();
    const result = {
      run,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      machine: { ...machine, loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100) },
      parameters: options,
      parts: ctx.results,
      summary,
      targets,
    };
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(`${RESULTS_DIR}${run}.json`, `${JSON.stringify(result, null, 2)}\n`);
    if (ctx.plans.length > 0) await writeFile(`${RESULTS_DIR}${run}.plans.txt`, `${ctx.plans.join('\n\n')}\n`);
    log(`results in bench/results/${run}.json${ctx.plans.length > 0 ? ` (plans: ${run}.plans.txt)` : ''}`);
    process.stdout.write(`${markdownReport(ctx.results, targets)}\n\n${JSON.stringify(summary)}\n`);
  } finally {
    await server.stop();
  }
  return failed ? 1 : 0;
}

function elapsed(since: Date): string {
  return `${((Date.now() - since.getTime()) / 1000).toFixed(1)}s`;
}
