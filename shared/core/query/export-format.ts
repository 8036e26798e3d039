import { entityKey } from '../domain/entity.ts';
import type { StoredEvent } from '../domain/event.ts';
import { csvRow } from './csv.ts';

export type ExportFormat = 'csv' | 'json' | 'ndjson';

const CSV_COLUMNS = [
  'occurredAt',
  'receivedAt',
  'id',
  'type',
  'severity',
  'entity',
  'related',
  'actor',
  'sourceChannel',
  'sourcePrincipal',
  'payload',
  'traceId',
  'causationId',
] as const;

function csvValues(event: StoredEvent): string[] {
  return [
    event.occurredAt,
    event.receivedAt,
    event.id,
    event.type,
    event.severity,
    entityKey(event.entity),
    event.related.map(entityKey).join(' '),
    `${event.actor.type}:${event.actor.id}`,
    event.source.channel,
    event.source.principal,
    JSON.stringify(event.payload),
    event.traceId ?? '',
    event.causationId ?? '',
  ];
}

/** How each format opens, separates records and closes: enough to write it one page at a time. */
export interface ExportWriter {
  contentType: string;
  extension: string;
  start: string;
  record(event: StoredEvent, index: number): string;
  end: string;
}

export const EXPORT_WRITERS: Record<ExportFormat, ExportWriter> = {
  csv: {
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    start: csvRow(CSV_COLUMNS),
    record: (event) => csvRow(csvValues(event)),
    end: '',
  },
  json: {
    contentType: 'application/json',
    extension: 'json',
    start: '[\n',
    record: (event, index) => `${index === 0 ? '' : ',\n'}${JSON.stringify(event)}`,
    end: '\n]\n',
  },
  ndjson: {
    contentType: 'application/x-ndjson',
    extension: 'ndjson',
    start: '',
    record: (event) => `${JSON.stringify(event)}\n`,
    end: '',
  },
};

/** `audit-robot.r-17-ERROR-20260501T0000Z-20260508T0000Z.csv`: what and when, in safe file-name characters. */
export function exportFileName(
  filters: Record<string, unknown>,
  window: { since: Date; until: Date },
  extension: string,
): string {
  const stamp = (d: Date) => d.toISOString().slice(0, 16).replace(/[-:]/g, '') + 'Z';
  const what = ['entity', 'type', 'severity', 'minSeverity', 'actor', 'source', 'q']
    .map((key) => filters[key])
    .filter((value): value is string => typeof value === 'string')
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 80);
  return `audit-${what ? `${what}-` : ''}${stamp(window.since)}-${stamp(window.until)}.${extension}`;
}
