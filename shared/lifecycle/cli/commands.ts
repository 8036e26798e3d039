import { parseArgs } from 'node:util';
import { archiveQueryEngine } from '../../archive/engine.ts';
import { bindNamedQuery, NAMED_QUERIES, type NamedQuery } from '../../archive/named-queries.ts';
import type { ArchiveQueryResult } from '../../archive/query-engine.ts';
import { sqlTimestamp } from '../../archive/query-engine.ts';
import { loadConfig } from '../../runtime/config.ts';
import { createPool, databaseOptionsFromEnv } from '../../store/pool.ts';
import { listArchiveSteps } from '../archive-state.ts';
import { lifecycleConfigShape } from '../config.ts';
import { entityHistory } from '../history.ts';
import { runMaintenance } from '../maintain.ts';
import { describeMaintenance } from '../report.ts';
import { archiveStore, maintenanceOptions } from '../setup.ts';
import { progressBar } from './progress.ts';

const ARCHIVE_HELP = `Usage:
  trail archive run [--now ISO]             archive expired months now (same as trail maintain)
  trail archive query "<SQL>" [--json]      SQL over the archive's events table (DuckDB locally, Athena for s3://)
  trail archive named                       list the named queries
  trail archive named <name> --<param> <value> … [--json]   run one
  trail archive status                      the recorded steps of every archived month
`;

/** `trail maintain [--now 2027-09-15T00:00:00Z] [--json]`: one maintenance run; exit 1 when it failed. */
export async function runMaintain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { now: { type: 'string' }, json: { type: 'boolean' } } });
  const config = loadConfig(lifecycleConfigShape);
  const now = values.now ? parseInstant(values.now, '--now') : new Date();
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  const bar = progressBar();
  try {
    const result = await runMaintenance(
      { pool, store: archiveStore(config) },
      {
        ...maintenanceOptions(config, now),
        onProgress: bar.update,
        log: (message) => {
          if (!process.stdout.isTTY && !values.json) console.log(message);
        },
      },
    );
    bar.end();
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else for (const line of describeMaintenance(result)) console.log(line);
    return result.status === 'failed' ? 1 : 0;
  } finally {
    await pool.end();
  }
}

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

/** `trail history --entity robot:r-17 --since 2025-01-01 [--until …] [--json]`: PostgreSQL and the archive merged. */
export async function runHistory(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      entity: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [entityType, entityId] = (values.entity ?? '').split(':');
  if (!entityType || !entityId || !values.since)
    throw new Error('usage: trail history --entity <type:id> --since <date> [--until <date>] [--json]');
  const config = loadConfig(lifecycleConfigShape);
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  try {
    const rows = await entityHistory(
      { db: pool, archive: () => archiveQueryEngine(config) },
      {
        entityType,
        entityId,
        since: parseInstant(values.since, '--since'),
        until: values.until ? parseInstant(values.until, '--until') : new Date(Date.now() + 60_000),
      },
    );
    for (const row of rows)
      console.log(
        values.json
          ? JSON.stringify(row)
          : [row.occurredAt, row.source.padEnd(8), row.severity.padEnd(8), row.type, row.actor, row.payload].join('  '),
      );
    return 0;
  } finally {
    await pool.end();
  }
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

function parseInstant(value: string, flag: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${flag} must be an ISO-8601 date or instant, got "${value}"`);
  return date;
}
