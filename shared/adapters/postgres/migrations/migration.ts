/** One schema change. The SQL lives in TypeScript so bundles (Lambda) carry it without reading files at run time. */
export interface Migration {
  /** `NNN_what`: applied in list order, recorded in schema_migrations under this name. */
  name: string;
  sql: string;
}
