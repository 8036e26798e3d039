import { parseArgs } from 'node:util';
import { archiveQueryEngine } from '../archive/engine.ts';
import { bindNamedQuery, NAMED_QUERIES, type NamedQuery } from '../archive/named-queries.ts';
import type { ArchiveQueryResult } from '../archive/query-engine.ts';
import { sqlTimestamp } from '../archive/query-engine.ts';
import { listArchiveSteps } from '../lifecycle/archive-state.ts';
import { lifecycleConfigShape } from '../lifecycle/config.ts';
import { loadConfig } from '../runtime/config.ts';
import { createPool, databaseOptionsFromEnv } from '../store/pool.ts';
import { parseInstant } from './instant.ts';
import { runMaintain } from './maintain.ts';

const ARCHIVE_HELP = `Usage:
  trail archive run [--now ISO]             archive expired months now (same as trail maintain)
  trail archive query "<SQL>" [--json]      SQL over the archive's events table (DuckDB locally, Athena for s3://)
  trail archive named                       list the named queries
  trail archive named <name> --<param> <value> … [--json]   run one
  trail archive status                      the recorded steps of every archived month
`;

/** `trail archive …`. */
export async function runArchive(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'run') return runMaintain(rest);
  if (sub === 'query') {
    const { positionals, values } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { json: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new Error('trail archive query takes one SQL string');
    printResult(await queryArchive(positionals[0]!, []), values.json);
    return 0;
  }
  if (sub === 'named') return runNamed(rest);
  if (sub === 'status') return printStatus();
  process.stdout.write(ARCHIVE_HELP);
  return sub === undefined || sub === 'help' ? 0 : 2;
}

async function runNamed(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const entries = Object.entries(NAMED_QUERIES) as [string, NamedQuery][];
  if (!name) {
    for (const [key, query] of entries)
      console.log(`${key}  ${query.params.map((p) => `--${p}`).join(' ')}\n    ${query.description}`);
    return 0;
  }
  const query = entries.find(([key]) => key === name)?.[1];
  if (!query) throw new Error(`no named query "${name}" (trail archive named lists them)`);
  const { values } = parseArgs({
    args: rest,
    options: {
      json: { type: 'boolean' },
      ...Object.fromEntries(query.params.map((p) => [p, { type: 'string' as const }])),
    },
  });
  const args = Object.fromEntries(
    query.params.flatMap((p) => {
      const value = (values as Record<string, unknown>)[p];
      if (typeof value !== 'string') return [];
      // Instants are passed on in the one form both engines cast.
      return [[p, p === 'since' || p === 'until' ? sqlTimestamp(parseInstant(value, `--${p}`)) : value]];
    }),
  );
  const { sql, values: params } = bindNamedQuery(query, args);
  printResult(await queryArchive(sql, params), values.json === true);
  return 0;
}

async function queryArchive(sql: string, params: string[]): Promise<ArchiveQueryResult> {
  const engine = await archiveQueryEngine(loadConfig(lifecycleConfigShape));
  try {
    return await engine.run(sql, params);
  } finally {
    await engine.close();
  }
}

async function printStatus(): Promise<number> {
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  try {
    const steps = await listArchiveSteps(pool);
    printResult(
      {
        columns: ['month', 'generation', 'step', 'rows', 'files', 'finished_at', 'error'],
        rows: steps.map((s) =>
          [s.month, s.generation, s.step, s.rowCount, s.files, s.finishedAt?.toISOString() ?? null, s.error].map((v) =>
            v === null ? null : String(v),
          ),
        ),
      },
      false,
    );
    return 0;
  } finally {
    await pool.end();
  }
}

export function printResult(result: ArchiveQueryResult, json: boolean | undefined): void {
  if (json) {
    for (const row of result.rows)
      console.log(JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))));
    return;
  }
  console.log(result.columns.join('\t'));
  for (const row of result.rows) console.log(row.map((v) => v ?? '').join('\t'));
  console.error(`(${result.rows.length} rows)`);
}
