import { listArchiveSteps } from '../../adapters/postgres/maintenance/archive-state.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import {
  bindNamedQuery,
  NAMED_QUERIES,
  type NamedQuery,
  type NamedQueryName,
} from '../../core/archive/named-queries.ts';
import { type ArchiveQueryResult, sqlTimestamp } from '../../core/ports/archive-query.ts';
import { type ArchiveQueryConfig, archiveQueryEngine } from '../archive/engine.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { loadConfig } from '../runtime/config.ts';
import { auditedRead, cliAccessAuditor } from './read-audit.ts';

export interface OutputOptions {
  /** One JSON object per row instead of a tab-separated table. */
  json?: boolean | undefined;
}

/**
 * `trail archive query "<SQL>"`: SQL over the archive's events table (DuckDB locally, read-only; Athena for s3://).
 * Recorded (who, which SQL, how many rows) before anything is printed.
 */
export async function runArchiveQuery(sql: string, options: OutputOptions): Promise<number> {
  printResult(await auditedArchiveQuery('trail archive query', { sql }, sql, []), options.json);
  return 0;
}

/** `trail archive named`: the named queries, each with its parameters and what it answers. */
export function listNamedQueries(): number {
  for (const [key, query] of Object.entries(NAMED_QUERIES) as [string, NamedQuery][])
    console.log(`${key}  ${query.params.map((p) => `--${p}`).join(' ')}\n    ${query.description}`);
  return 0;
}

/** `trail archive named <query> --<param> <value> …`: instants are passed on in the one form both engines cast. */
export async function runNamedQuery(
  name: NamedQueryName,
  params: Readonly<Record<string, string | Date>>,
  options: OutputOptions,
): Promise<number> {
  const args = Object.fromEntries(
    Object.entries(params).map(([param, value]) => [param, value instanceof Date ? sqlTimestamp(value) : value]),
  );
  const { sql, values } = bindNamedQuery(NAMED_QUERIES[name], args);
  printResult(await auditedArchiveQuery('trail archive named', { query: name, ...args }, sql, values), options.json);
  return 0;
}

/** `trail archive status`: every recorded step of every archived month. */
export async function printArchiveStatus(): Promise<number> {
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

async function auditedArchiveQuery(
  route: string,
  filters: Record<string, unknown>,
  sql: string,
  params: string[],
): Promise<ArchiveQueryResult> {
  const config = loadConfig(lifecycleConfigShape);
  const audit = await cliAccessAuditor();
  try {
    return await auditedRead(
      audit.auditor,
      { route, filters },
      () => queryArchive(config, sql, params),
      (r) => r.rows.length,
    );
  } finally {
    await audit.close();
  }
}

async function queryArchive(config: ArchiveQueryConfig, sql: string, params: string[]): Promise<ArchiveQueryResult> {
  const engine = await archiveQueryEngine(config);
  try {
    return await engine.run(sql, params);
  } finally {
    await engine.close();
  }
}

function printResult(result: ArchiveQueryResult, json: boolean | undefined): void {
  if (json) {
    for (const row of result.rows)
      console.log(JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))));
    return;
  }
  console.log(result.columns.join('\t'));
  for (const row of result.rows) console.log(row.map((v) => v ?? '').join('\t'));
  console.error(`(${result.rows.length} rows)`);
}
