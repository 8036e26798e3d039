import type { OcsfClassKey } from './classes.ts';

/**
 * The Parquet columns of each class's objects, as DuckDB types: OCSF objects are nested structs (as Security Lake's
 * own sources store them), timestamps epoch milliseconds, `unmapped` a map of strings. Every record of a class has
 * exactly these keys (core/ocsf/mapping.ts), absent attributes null.
 */
const USER = 'STRUCT(uid VARCHAR, name VARCHAR, type VARCHAR, type_id INTEGER)';
const ENDPOINT = 'STRUCT(uid VARCHAR, name VARCHAR, ip VARCHAR, svc_name VARCHAR)';

const COMMON: readonly [string, string][] = [
  ['class_uid', 'INTEGER'],
  ['class_name', 'VARCHAR'],
  ['category_uid', 'INTEGER'],
  ['category_name', 'VARCHAR'],
  ['activity_id', 'INTEGER'],
  ['activity_name', 'VARCHAR'],
  ['type_uid', 'BIGINT'],
  ['type_name', 'VARCHAR'],
  ['severity_id', 'INTEGER'],
  ['severity', 'VARCHAR'],
  ['time', 'BIGINT'],
  ['message', 'VARCHAR'],
  ['status_id', 'INTEGER'],
  ['status', 'VARCHAR'],
  ['status_code', 'VARCHAR'],
  ['status_detail', 'VARCHAR'],
  [
    'metadata',
    'STRUCT(version VARCHAR, uid VARCHAR, event_code VARCHAR, logged_time BIGINT, correlation_uid VARCHAR, product STRUCT(name VARCHAR, vendor_name VARCHAR, version VARCHAR))',
  ],
  ['actor', `STRUCT("user" ${USER})`],
  ['src_endpoint', ENDPOINT],
];

const CLASS_COLUMNS: Record<OcsfClassKey, readonly [string, string][]> = {
  accountChange: [
    ['user', USER],
    ['policy', 'STRUCT(name VARCHAR, uid VARCHAR)'],
  ],
  authentication: [
    ['user', USER],
    ['service', 'STRUCT(name VARCHAR, uid VARCHAR)'],
    ['session', 'STRUCT(uid VARCHAR)'],
    ['dst_endpoint', ENDPOINT],
  ],
  entityManagement: [['entity', 'STRUCT(uid VARCHAR, name VARCHAR, type VARCHAR, version VARCHAR, data VARCHAR)']],
  apiActivity: [
    ['api', 'STRUCT(operation VARCHAR, service STRUCT(name VARCHAR), request STRUCT(uid VARCHAR))'],
    ['resources', 'STRUCT(uid VARCHAR, name VARCHAR, type VARCHAR)[]'],
    ['http_request', 'STRUCT(http_method VARCHAR, user_agent VARCHAR, url STRUCT(path VARCHAR))'],
  ],
};

const TAIL: readonly [string, string][] = [['unmapped', 'MAP(VARCHAR, VARCHAR)']];

/** The columns of one class's Parquet objects, in order. */
export function ocsfParquetColumns(key: OcsfClassKey): readonly [string, string][] {
  return [...COMMON, ...CLASS_COLUMNS[key], ...TAIL];
}
