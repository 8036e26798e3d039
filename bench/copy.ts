import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EVENT_COLUMNS, insertParameters } from '../shared/adapters/postgres/event-rows.ts';
import type { StoredEvent } from '../shared/core/domain/event.ts';

/** COPY text format: backslash, tab and line breaks escaped; NULL is \N. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (char) =>
    char === '\\' ? '\\\\' : char === '\t' ? '\\t' : char === '\n' ? '\\n' : '\\r',
  );
}

/**
 * COPY lines for events, column for column what the writer's INSERT sends (its own parameter builder, transposed),
 * so COPY and the writer store identical rows.
 */
export function copyLines(events: readonly StoredEvent[]): string {
  const columns = insertParameters(events);
  let text = '';
  for (let row = 0; row < events.length; row++) text += `${columns.map((c) => copyField(c[row])).join('\t')}\n`;
  return text;
}

/**
 * Streams event chunks into `events` with one `COPY … FROM STDIN` (routed to the month partitions by PostgreSQL), or
 * into another table of the same columns (the in-database loader's template).
 */
export async function copyEvents(
  client: pg.ClientBase,
  chunks: Iterable<readonly StoredEvent[]>,
  table: 'events' | 'bench_template' = 'events',
): Promise<number> {
  let rows = 0;
  const lines = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        rows += chunk.length;
        yield copyLines(chunk);
      }
    })(),
  );
  await pipeline(lines, client.query(copyFrom(`COPY ${table} (${EVENT_COLUMNS}) FROM STDIN`)));
  return rows;
}
