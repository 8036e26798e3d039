import { PgQueryStore } from '../../adapters/postgres/pg-query-store.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import type { EntityRef } from '../../core/domain/entity.ts';
import { archiveJobs } from '../archive/engine.ts';
import { entityHistory } from '../history.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { loadConfig } from '../runtime/config.ts';
import { auditedRead, cliAccessAuditor } from './read-audit.ts';

export interface HistoryOptions {
  entity: EntityRef;
  /** Default: the beginning. */
  since?: Date | undefined;
  /** Exclusive; default: a minute from now. */
  until?: Date | undefined;
  json?: boolean | undefined;
}

/**
 * `trail history`: one entity's events (its own and those naming it in related), PostgreSQL and the archive in one
 * stream, newest first, the whole past unless --since narrows it; recorded before printed.
 */
export async function runHistory(options: HistoryOptions): Promise<number> {
  const config = loadConfig(lifecycleConfigShape);
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  const until = options.until ?? new Date(Date.now() + 60_000);
  try {
    const audit = await cliAccessAuditor(process.env, pool);
    const filters = {
      entity: `${options.entity.type}:${options.entity.id}`,
      ...(options.since && { since: options.since.toISOString() }),
      until: until.toISOString(),
    };
    const rows = await auditedRead(
      audit.auditor,
      { route: 'trail history', filters },
      () =>
        entityHistory(
          { store: new PgQueryStore(pool), archiveJobs: archiveJobs(config) },
          { entity: options.entity, since: options.since, until },
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
