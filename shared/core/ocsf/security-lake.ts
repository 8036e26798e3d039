import { OCSF_CLASSES, type OcsfClassKey } from './classes.ts';

/**
 * Security Lake's custom-source layout: one source per OCSF class, its objects under
 * `ext/<source>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/` in the lake's bucket (Security Lake user
 * guide, "Collecting data from custom sources": partitioned by source, Region, account and day; Parquet; one class
 * per object). A source name is at most 20 characters (CreateCustomLogSource: it is part of the provider role's name).
 */
export const MAX_SOURCE_NAME = 20;
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The custom source of one class: `<prefix>-<suffix>`, e.g. `fleet-audit-api`. */
export function securityLakeSourceName(prefix: string, key: OcsfClassKey): string {
  const name = `${prefix}-${OCSF_CLASSES[key].sourceSuffix}`;
  if (name.length > MAX_SOURCE_NAME || !SOURCE_NAME.test(name))
    throw new RangeError(
      `Security Lake source name "${name}" must be at most ${MAX_SOURCE_NAME} letters, digits, "-" or "_"`,
    );
  return name;
}

/** The longest class suffix: a prefix leaves room for it in every source name. */
export const MAX_SOURCE_PREFIX =
  MAX_SOURCE_NAME - 1 - Math.max(...Object.values(OCSF_CLASSES).map((c) => c.sourceSuffix.length));

/** `20260531` for an instant on 31 May 2026 (UTC). */
export function eventDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10).replaceAll('-', '');
}

export interface LakePartition {
  sourceName: string;
  region: string;
  accountId: string;
  eventDay: string;
}

/** The custom source a key of the lake's bucket is under (`ext/<source>/…`), or undefined for any other key. */
export function securityLakeSourceOfKey(key: string): string | undefined {
  return /^ext\/([^/]+)\//.exec(key)?.[1];
}

/** `ext/fleet-audit-api/region=eu-west-1/accountId=123456789012/eventDay=20260531/`. */
export function securityLakePrefix(p: LakePartition): string {
  if (!/^\d{8}$/.test(p.eventDay)) throw new RangeError(`eventDay "${p.eventDay}" is not YYYYMMDD`);
  return `ext/${p.sourceName}/region=${p.region}/accountId=${p.accountId}/eventDay=${p.eventDay}/`;
}

/**
 * One object's key: named after the archived month and generation it was derived from, so deriving the same month
 * again writes the same keys (it replaces, never duplicates).
 */
export function securityLakeObjectKey(p: LakePartition, month: string, generation: number): string {
  return `${securityLakePrefix(p)}fleet-audit-${month}-g${generation}.parquet`;
}
