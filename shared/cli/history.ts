import { parseArgs } from 'node:util';
import { archiveQueryEngine } from '../archive/engine.ts';
import { lifecycleConfigShape } from '../lifecycle/config.ts';
import { entityHistory } from '../lifecycle/history.ts';
import { loadConfig } from '../runtime/config.ts';
import { createPool, databaseOptionsFromEnv } from '../store/pool.ts';
import { parseInstant } from './instant.ts';

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
