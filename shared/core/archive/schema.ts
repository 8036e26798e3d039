import type { Month } from '../domain/month.ts';

/**
 * The archive's layout: one source for the archiver's Parquet schema, its S3 key layout and the Glue table over it.
 * Change a column here and both the writer of the Parquet files and the table that reads them change together.
 */
export type GlueType = 'string' | 'int' | 'bigint' | 'timestamp';

export interface ArchiveColumn {
  name: string;
  glueType: GlueType;
  description: string;
}

export const ARCHIVE_COLUMNS: readonly ArchiveColumn[] = [
  { name: 'id', glueType: 'string', description: 'Event id (UUID)' },
  { name: 'type', glueType: 'string', description: 'Event type from the catalog, e.g. sensor.threshold.breached' },
  { name: 'severity', glueType: 'string', description: 'INFO, WARNING, ERROR or CRITICAL' },
  { name: 'severity_number', glueType: 'int', description: 'OpenTelemetry severity number (9, 13, 17, 21)' },
  { name: 'occurred_at', glueType: 'timestamp', description: 'When it happened (UTC)' },
  { name: 'received_at', glueType: 'timestamp', description: 'When the trail accepted it (UTC)' },
  { name: 'entity_type', glueType: 'string', description: 'Kind of the entity the event is about' },
  { name: 'entity_id', glueType: 'string', description: 'Id of the entity the event is about' },
  { name: 'related', glueType: 'string', description: 'Related entities, JSON array of {type, id}' },
  { name: 'actor', glueType: 'string', description: 'Who caused it, as type:id' },
  { name: 'source_channel', glueType: 'string', description: 'iot, http or internal' },
  { name: 'source_principal', glueType: 'string', description: 'The authenticated principal' },
  { name: 'source_client_id', glueType: 'string', description: 'MQTT client id or HTTP client id' },
  { name: 'source_ip', glueType: 'string', description: 'Source IP address' },
  { name: 'payload', glueType: 'string', description: 'Event payload, JSON object' },
  { name: 'trace_id', glueType: 'string', description: 'W3C trace id' },
  { name: 'span_id', glueType: 'string', description: 'W3C span id' },
  { name: 'causation_id', glueType: 'string', description: 'Id of the event that caused this one' },
  // The event's place in the tamper-evident log (docs/tamper-evidence.md), as event_log holds it: with these, an
  // archived row proves its own inclusion against a signed checkpoint without PostgreSQL.
  { name: 'log_seq', glueType: 'bigint', description: 'Sequence number in the tamper-evident log: its leaf index' },
  { name: 'leaf_hash', glueType: 'string', description: 'Leaf hash of the event in the log (SHA-256, 64 hex)' },
];

export const ARCHIVE_PARTITION_KEYS: readonly ArchiveColumn[] = [
  { name: 'year', glueType: 'string', description: 'UTC year of occurred_at, YYYY' },
  { name: 'month', glueType: 'string', description: 'UTC month of occurred_at, MM' },
];

/** Every archived object lives under this prefix of the archive bucket. */
export const ARCHIVE_ROOT_PREFIX = 'events/';

/** The key layout; the same function yields real keys and Athena's projection template. */
const keyLayout = (year: string, month: string) => `${ARCHIVE_ROOT_PREFIX}year=${year}/month=${month}/`;

/** Athena's placeholder for a projected partition key, e.g. `${year}`. */
const placeholder = (key: string) => `\${${key}}`;

/** `events/year=2026/month=05/`: where the archiver writes one month's Parquet files. */
export function archiveKeyPrefix(month: Month): string {
  return keyLayout(String(month.year), String(month.month).padStart(2, '0'));
}

/**
 * Glue table parameters for partition projection: Athena computes partition locations from the template instead of
 * reading partitions from the catalog, so the archiver never has to register a partition.
 */
export function archivePartitionProjection(bucketName: string): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.year.type': 'integer',
    'projection.year.range': '2000,2100',
    'projection.month.type': 'integer',
    'projection.month.range': '1,12',
    'projection.month.digits': '2',
    'storage.location.template': `s3://${bucketName}/${keyLayout(placeholder('year'), placeholder('month'))}`,
  };
}

/**
 * Bumped when ARCHIVE_COLUMNS change; every manifest records the version its files were written with. 2: rows carry
 * log_seq and leaf_hash, manifests a `log` block. Files of version 1 lack those columns (read as NULL by name).
 */
export const ARCHIVE_SCHEMA_VERSION = 2;

/** The Glue table's name (infra/constructs/archive-query.ts); the local DuckDB view has the same name and columns. */
export const ARCHIVE_TABLE = 'events';

/** How each Glue type is written to Parquet by DuckDB (and read back by DESCRIBE): timestamps are UTC instants. */
export const DUCKDB_TYPES: Readonly<Record<GlueType, string>> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
};

/**
 * `events/year=2026/month=05/_manifest.json` (generation 1) or `…/_manifest-g2.json`: beside the Parquet files,
 * named with a leading underscore because Athena skips such objects when it reads the table's files.
 */
export function archiveManifestKey(month: Month, generation: number): string {
  return `${archiveKeyPrefix(month)}_manifest${generation === 1 ? '' : `-g${generation}`}.json`;
}

/** `events/year=2026/month=05/part-g1-00000.parquet`: a generation's files never share a name with another's. */
export function archiveFileKey(month: Month, generation: number, sequence: number): string {
  return `${archiveKeyPrefix(month)}part-g${generation}-${String(sequence).padStart(5, '0')}.parquet`;
}
