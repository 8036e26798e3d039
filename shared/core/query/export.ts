import type { QueryStore } from '../ports/query.ts';
import { EXPORT_WRITERS, type ExportWriter, exportFileName } from './export-format.ts';
import type { EventQueryFilter, SortOrder } from './filter.ts';
import { exportQuerySchema } from './params.ts';
import { accessOf, type Outcome, type ReadDeps, type ReadRequest, readerFilter } from './read.ts';

/** Rows read per query while exporting: memory stays bounded by one page, whatever the export's size. */
export const EXPORT_PAGE_SIZE = 1000;

export interface Export {
  contentType: string;
  fileName: string;
  /** The body, page by page. The audit record is made before the last chunk: if it fails, the export is cut short. */
  chunks: AsyncGenerator<string>;
}

/** GET /events/export: every matching event (in the window), as CSV, a JSON array or NDJSON. */
export function exportEvents(deps: ReadDeps, request: ReadRequest): Outcome<Export> {
  const resolved = readerFilter(exportQuerySchema, request, deps.clock());
  if (!resolved.ok) return resolved;
  const { params, filter } = resolved.value;
  const writer = EXPORT_WRITERS[params.format];
  return {
    ok: true,
    value: {
      contentType: writer.contentType,
      fileName: exportFileName(params, filter, writer.extension),
      chunks: exportChunks(deps.store, filter, params.order, writer, (rows) =>
        deps.audit.record(accessOf(request, rows)),
      ),
    },
  };
}

async function* exportChunks(
  store: QueryStore,
  filter: EventQueryFilter,
  order: SortOrder,
  writer: ExportWriter,
  onComplete: (rows: number) => Promise<void>,
): AsyncGenerator<string> {
  yield writer.start;
  let rows = 0;
  let after: { occurredAt: string; id: string } | undefined;
  for (;;) {
    // Keyset pages: each query is an index range scan from the last row on, never an OFFSET.
    const page = await store.page(filter, { order, limit: EXPORT_PAGE_SIZE, ...(after && { after }) });
    let chunk = '';
    for (const event of page.events) chunk += writer.record(event, rows++);
    if (chunk) yield chunk;
    const last = page.events.at(-1);
    if (!page.hasMore || !last) break;
    after = { occurredAt: last.occurredAt, id: last.id };
  }
  await onComplete(rows);
  yield writer.end;
}

export type Collected = { ok: true; body: string } | { ok: false; bytes: number };

/**
 * Where the response cannot stream (API Gateway HTTP APIs buffer Lambda responses, 6 MB at most): collects the
 * export up to `maxBytes`, or stops reading as soon as it would exceed them.
 */
export async function collectExport(chunks: AsyncGenerator<string>, maxBytes: number): Promise<Collected> {
  const parts: string[] = [];
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += Buffer.byteLength(chunk);
    if (bytes > maxBytes) {
      await chunks.return(undefined);
      return { ok: false, bytes };
    }
    parts.push(chunk);
  }
  return { ok: true, body: parts.join('') };
}
