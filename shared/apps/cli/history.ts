import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import type { EntityRef } from '../../core/domain/entity.ts';
import { archiveQueryEngine } from '../archive/engine.ts';
import { entityHistory } from '../history.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { loadConfig } from '../runtime/config.ts';
import { auditedRead, cliAccessAuditor } from './read-audit.ts';

export interface HistoryOptions {
  entity: EntityRef;
  since: Date;
  /** Exclusive; default: a minute from now. */
  until?: Date | undefined;
  json?: boolean | undefined;
}

/** `trail history`: one entity's events, PostgreSQL and the archive merged, newest first; recorded before printed. */
export async function runHistory(options: HistoryOptions): Promise<number> {
  const config = loadConfig(lifecycleConfigShape);
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  const until = options.until ?? new Date(Date.now() + 60_000);
  try {
    const audit = await cliAccessAuditor(process.env, pool);
    const filters = {
      entity: `${options.entity.type}:${options.entity.id}`,
      since: options.since.toISOString(),
      until: until.toISOString(),
    };
    const rows = await auditedRead(
      audit.auditor,
      { route: 'trail history', filters },
      () =>
        entityHistory(
          { db: pool, archive: () => archiveQueryEngine(config) },
          { entityType: options.entity.type, entityId: options.entity.id, since: options.since, until },
        ),
      (found) => found.length,
    ).finally(() => audit.close());
    for (const row of rows)
      console.log(
        options.json
          ? JSON.stringify(row)
          : [row.occurredAt, row.source.padEnd(8), row.severity.padEnd(8), row.type, row.actor, row.payload].join('  '),
      );
    return 0;
  } finally {
    await pool.end();
  }
}
