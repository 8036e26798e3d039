import { z } from 'zod';
import { archiveManifestKey } from '../archive/schema.ts';
import type { ArchivedFile, ArchiveObject } from '../ports/log-audit.ts';
import type { PassFindings } from './findings.ts';
import type { CheckpointHead } from './verify-checkpoints.ts';

/**
 * What verification needs of a month's manifest (shared/core/archive/manifest.ts writes it): its files with their
 * row counts and SHA-256, and the log's state at the month's last event when the manifest has it. Other members
 * are left as they are: a manifest is read, never rewritten, here.
 */
const manifestSchema = z.object({
  schemaVersion: z.int().positive(),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
  generation: z.int().positive(),
  rowCount: z.int().nonnegative(),
  files: z.array(
    z.object({
      key: z.string().min(1),
      rows: z.int().nonnegative(),
      bytes: z.int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
  log: z
    .object({
      maxSeq: z.int().nonnegative().nullable(),
      treeSize: z.int().nonnegative(),
      rootHash: z.string().regex(/^[0-9a-f]{64}$/),
      checkpointNumber: z.int().nonnegative(),
    })
    .nullish(),
});
export type Manifest = z.infer<typeof manifestSchema>;

const MANIFEST_KEY = /^events\/year=(\d{4})\/month=(\d{2})\/_manifest(?:-g(\d+))?\.json$/;
const FILE_KEY = /^events\/year=(\d{4})\/month=(\d{2})\/part-g(\d+)-\d{5}\.parquet$/;

export interface ArchiveFilesPlan {
  /** The manifests that could be read, by key. */
  manifests: Map<string, Manifest>;
  /** Every Parquet file a manifest lists: the rows verification reads. */
  listed: string[];
  /** Months with a manifest (YYYY-MM). */
  archivedMonths: Set<string>;
  /** Files of a generation whose manifest is not written yet: an archival under way, read from PostgreSQL. */
  unfinished: number;
}

/**
 * The archive's event files before any is read: every manifest must parse and sit at its month's key, every
 * Parquet file must be listed by its generation's manifest (a file of a generation with no manifest yet belongs to
 * an archival under way, whose rows PostgreSQL still has).
 */
export function planArchiveFiles(
  manifests: readonly { key: string; text: string | undefined }[],
  parquet: readonly ArchiveObject[],
  found: PassFindings,
): ArchiveFilesPlan {
  const plan: ArchiveFilesPlan = { manifests: new Map(), listed: [], archivedMonths: new Set(), unfinished: 0 };
  const generations = new Set<string>();
  for (const { key, text } of manifests) {
    const manifest = parseManifest(text);
    if (typeof manifest === 'string') {
      found.push({ kind: 'archive-file-replaced', key, message: `is not a month's manifest: ${manifest}` });
      continue;
    }
    const [year, month] = manifest.month.split('-').map(Number) as [number, number];
    if (archiveManifestKey({ year, month }, manifest.generation) !== key) {
      found.push({
        kind: 'archive-file-replaced',
        key,
        message: `is the manifest of ${manifest.month} generation ${manifest.generation}, which belongs elsewhere`,
      });
      continue;
    }
    const listedRows = manifest.files.reduce((sum, file) => sum + file.rows, 0);
    if (listedRows !== manifest.rowCount)
      found.push({
        kind: 'archive-file-replaced',
        key,
        message: `its files hold ${listedRows} rows, its rowCount says ${manifest.rowCount}`,
      });
    plan.manifests.set(key, manifest);
    plan.archivedMonths.add(manifest.month);
    generations.add(`${manifest.month}/${manifest.generation}`);
    plan.listed.push(...manifest.files.map((file) => file.key));
  }
  const listed = new Set(plan.listed);
  for (const { key } of parquet) {
    if (listed.has(key)) continue;
    const match = FILE_KEY.exec(key);
    if (match && !generations.has(`${match[1]}-${match[2]}/${Number(match[3])}`)) {
      plan.unfinished++;
      continue;
    }
    found.push({
      kind: 'archive-file-replaced',
      key,
      message: match ? 'is in no manifest: rows the archival never wrote' : 'is not named as an archived file is',
    });
  }
  return plan;
}

/** Each listed file as it was found, against its manifest: there, the same bytes, the same rows. */
export function checkArchiveFiles(
  plan: ArchiveFilesPlan,
  files: readonly ArchivedFile[],
  heads: readonly CheckpointHead[],
  found: PassFindings,
): void {
  const byKey = new Map(files.map((file) => [file.key, file]));
  for (const [manifestKey, manifest] of plan.manifests) {
    let maxSeq: number | null = null;
    /** Whether every file was read: the log block is checked against the files only then. */
    let whole = true;
    for (const listed of manifest.files) {
      const file = byKey.get(listed.key);
      if (!file?.present) {
        whole = false;
        found.push({
          kind: 'archive-rows-deleted',
          key: listed.key,
          message: `is gone: its ${listed.rows} rows of ${manifest.month} with it (${manifestKey} lists it)`,
        });
        continue;
      }
      const problems: string[] = [];
      if (file.unreadable) problems.push(`cannot be read as Parquet (${file.unreadable})`);
      if (file.sha256 !== listed.sha256) problems.push(`its sha256 is ${file.sha256}, the manifest's ${listed.sha256}`);
      if (file.rows !== undefined && file.rows !== listed.rows)
        problems.push(`it holds ${file.rows} rows, the manifest says ${listed.rows}`);
      if (
        manifest.log &&
        file.columns &&
        !['log_seq', 'leaf_hash'].every((c) => file.columns!.some((d) => d.startsWith(`${c} `)))
      )
        problems.push('it has no log_seq and leaf_hash columns, which its manifest says it has');
      if (problems.length > 0)
        found.push({ kind: 'archive-file-replaced', key: listed.key, message: problems.join('; ') });
      if (file.unreadable) whole = false;
      if (file.maxSeq !== undefined && file.maxSeq !== null) maxSeq = Math.max(maxSeq ?? 0, file.maxSeq);
    }
    const problem = manifest.log && whole && logBlockProblem(manifest.log, maxSeq, heads);
    if (problem) found.push({ kind: 'archive-file-replaced', key: manifestKey, message: problem });
  }
}

/** The manifest's `log` block: a signed tree size, with its root, that holds the month's last seq. */
function logBlockProblem(log: NonNullable<Manifest['log']>, maxSeq: number | null, heads: readonly CheckpointHead[]) {
  if (log.maxSeq !== maxSeq) return `its log.maxSeq is ${log.maxSeq}, its files' greatest log_seq ${maxSeq}`;
  if (log.maxSeq !== null && log.treeSize <= log.maxSeq)
    return `its log.treeSize ${log.treeSize} does not hold its log.maxSeq ${log.maxSeq}`;
  const head = heads.find((h) => h.treeSize === log.treeSize);
  if (!head && log.treeSize <= (heads.at(-1)?.treeSize ?? 0))
    return `its log.treeSize ${log.treeSize} is the size of no signed checkpoint`;
  if (head && head.rootHash.toString('hex') !== log.rootHash)
    return `its log.rootHash is not the signed root of tree size ${log.treeSize} (checkpoint ${head.number})`;
  return undefined;
}

/** A manifest's text as what verification needs of it, or why it is not one. */
export function parseManifest(text: string | undefined): Manifest | string {
  if (text === undefined) return 'it is gone';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const parsed = manifestSchema.safeParse(json);
  return parsed.success ? parsed.data : (parsed.error.issues[0]?.message ?? 'not a manifest');
}

/** Whether an archive key is a month's manifest. */
export function isManifestKey(key: string): boolean {
  return MANIFEST_KEY.test(key);
}
