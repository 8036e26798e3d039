import type { AccessOutcome, QueryStore } from '../ports/query.ts';
import { recordOrRefuse } from './access-auditor.ts';
import { EXPORT_WRITERS, type ExportWriter, exportFileName } from './export-format.ts';
import type { EventQueryFilter, SortOrder } from './filter.ts';
import { exportQuerySchema } from './params.ts';
import { accessOf, type Outcome, type ReadDeps, type ReadRequest, readerFilter } from './read.ts';

/** Rows read per query while exporting: memory stays bounded by one page, whatever the export's size. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * How the body reaches the reader: `streamed`, each chunk written to the connection as it is read (the local stack),
 * or `buffered`, collected and sent whole once complete (API Gateway), so nothing is sent when it stops early.
 */
export type ExportDelivery = 'streamed' | 'buffered';

export interface Export {
  contentType: string;
  fileName: string;
  /**
   * The body, page by page. Its `audit.accessed` record is on the queue before the first chunk; its outcome is
   * recorded when it ends: complete (before the last chunk: if that record fails, the export is cut short), cut
   * (the consumer stopped pulling: `return()`), or failed (a read failed), each with the rows sent.
   */
  chunks: AsyncGenerator<string>;
}

/**
 * GET /events/export: every matching event (in the window), as CSV, a JSON array or NDJSON. Resolves once the
 * access is recorded; rejects with AccessNotRecordedError (nothing read, nothing sent) when it cannot be.
 */
export async function exportEvents(
  deps: ReadDeps,
  request: ReadRequest,
  delivery: ExportDelivery,
): Promise<Outcome<Export>> {
  const resolved = readerFilter(exportQuerySchema, request, deps.clock());
  if (!resolved.ok) return resolved;
  const { params, filter } = resolved.value;
  const writer = EXPORT_WRITERS[params.format];
  const access = accessOf(request, undefined);
  const accessId = await recordOrRefuse(() => deps.audit.record(access));
  const ended = (outcome: Omit<AccessOutcome, 'accessId'>) =>
    recordOrRefuse(() => deps.audit.recordOutcome(access, { accessId, ...outcome }));
  return {
    ok: true,
    value: {
      contentType: writer.contentType,
      fileName: exportFileName(params, filter, writer.extension),
      chunks: exportChunks({ store: deps.store, filter, order: params.order, writer, delivery, ended }),
    },
  };
}

const CUT_REASON: Record<ExportDelivery, string> = {
  streamed: 'the connection closed before the export ended (the client went away, or the server stopped)',
  buffered: 'stopped before the end, so nothing was sent (larger than the API returns at once: 413)',
};

interface ExportRun {
  store: QueryStore;
  filter: EventQueryFilter;
  order: SortOrder;
  writer: ExportWriter;
  delivery: ExportDelivery;
  ended: (outcome: Omit<AccessOutcome, 'accessId'>) => Promise<void>;
}

async function* exportChunks({ store, filter, order, writer, delivery, ended }: ExportRun): AsyncGenerator<string> {
  // A chunk counts as sent once the consumer pulls the next one: the server wrote it to the connection by then. A
  // consumer that stops (`return()`) does so holding a chunk it never wrote.
  let sent = 0;
  let recorded = false;
  const sentSoFar = () => (delivery === 'buffered' ? 0 : sent);
  try {
    yield writer.start;
    let rows = 0;
    let after: { occurredAt: string; id: string } | undefined;
    for (;;) {
      // Keyset pages: each query is an index range scan from the last row on, never an OFFSET.
      const page = await store.page(filter, { order, limit: EXPORT_PAGE_SIZE, ...(after && { after }) });
      let chunk = '';
      for (const event of page.events) chunk += writer.record(event, rows++);
      if (chunk) {
        yield chunk;
        sent += page.events.length;
      }
      const last = page.events.at(-1);
      if (!page.hasMore || !last) break;
      after = { occurredAt: last.occurredAt, id: last.id };
    }
    recorded = true;
    await ended({ outcome: 'complete', rows: sent });
    yield writer.end;
  } catch (error) {
    if (!recorded) {
      recorded = true;
      // A failure to record this is not the read's error, which is the one to report.
      await ended({ outcome: 'failed', rows: sentSoFar(), reason: (error as Error).message }).catch(() => {});
    }
    throw error;
  } finally {
    if (!recorded) await ended({ outcome: 'cut', rows: sentSoFar(), reason: CUT_REASON[delivery] });
  }
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
