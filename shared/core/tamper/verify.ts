import { ARCHIVE_ROOT_PREFIX } from '../archive/schema.ts';
import type {
  ArchivedRows,
  ArchiveObject,
  LogArchiveReader,
  LogDatabase,
  LogDatabaseView,
  UnloggedRows,
} from '../ports/log-audit.ts';
import { CHECKPOINTS_PREFIX, LEAVES_PREFIX } from './archive-keys.ts';
import {
  DEFAULT_MAX_FINDINGS,
  FINDING_KINDS,
  type Finding,
  FindingList,
  PassFindings,
  seqRangeText,
} from './findings.ts';
import { leafHash } from './leaf.ts';
import { DEFAULT_ARCHIVE_REPAIR_DEPTH } from './seal.ts';
import { mapOrdered } from './streams.ts';
import { tileLeaves } from './tile-leaves.ts';
import { checkArchiveFiles, isManifestKey, planArchiveFiles } from './verify-archive-files.ts';
import { verifyCheckpoints } from './verify-checkpoints.ts';
import { type MissingRun, verifyLeaves } from './verify-leaves.ts';

/**
 * A checkpoint issued less than this before the archive was listed (or after) may still be on its way there: a round
 * signs, commits, then copies, within a second or two. (The newest copyDepth checkpoints are excused anyway.)
 */
export const DEFAULT_COPY_GRACE_MS = 2000;
/** Rows outside the log listed per month; the rest are counted. */
const UNLOGGED_PER_MONTH = 10;

export interface VerifyOptions {
  /** The log's public keys (PEM SubjectPublicKeyInfo). */
  publicKeys: readonly string[];
  /** PostgreSQL; absent for `--archive-only`. */
  database?: LogDatabase;
  /** The archive; absent when there is none to compare with. */
  archive?: LogArchiveReader;
  maxFindings?: number;
  /** Returns true when time is up: verification stops where it is and says it is incomplete. */
  stop?: () => boolean;
  clock?: () => Date;
  /** PostgreSQL's newest checkpoints that may be missing from the archive: the ones the sealer still re-copies. */
  copyDepth?: number;
  copyGraceMs?: number;
}

export interface VerificationReport {
  /** No finding. (A verification that stopped early may be ok as far as it went: see `complete`.) */
  ok: boolean;
  mode: 'full' | 'archive-only' | 'database-only';
  complete: boolean;
  /** The first divergence: the first of `findings`. */
  first: Finding | null;
  /** In the order verification met them: checkpoints, archive files, leaves by seq, rows outside the log. */
  findings: Finding[];
  /** Findings past the bound, counted only. */
  omitted: number;
  checked: {
    checkpoints: number;
    treeSize: number;
    leaves: number;
    roots: number;
    databaseRows: number;
    archivedRows: number;
    archivedFiles: number;
    /** Stored events no checkpoint has passed yet. */
    pending: number;
    /** PostgreSQL's newest checkpoints whose archive copies are not due yet. */
    notYetCopied: number;
    /** Archivals under way: files of a generation whose manifest is not written yet. */
    unfinishedArchivals: number;
  };
}

/**
 * Verifies the log end to end (docs/tamper-evidence.md, "Verification"): every checkpoint (signature, chain,
 * density, PostgreSQL's copy against the archive's), every archived file against its manifest, every leaf
 * recomputed from its row (PostgreSQL's and the archive's) against the stored leaves and those against every
 * signed root, and no events row outside the log but the pending tail. Reports the divergences found, the first
 * one first.
 *
 * The archive's log objects are listed before PostgreSQL's snapshot is taken: a copy is made after its round
 * commits, so everything listed is older than the snapshot, and only the newest checkpoints of the snapshot may be
 * missing from the listing. Its event files are listed after: a month is dropped only after its files and manifest
 * are written, and the snapshot holds off any drop while it runs.
 */
export async function verifyLog(options: VerifyOptions): Promise<VerificationReport> {
  const clock = options.clock ?? (() => new Date());
  const stop = options.stop ?? (() => false);
  const findings = new FindingList(options.maxFindings ?? DEFAULT_MAX_FINDINGS);
  const { archive, database } = options;
  const listed = archive && {
    checkpoints: await archive.list(CHECKPOINTS_PREFIX),
    leaves: await archive.list(LEAVES_PREFIX),
    at: clock(),
  };
  const report: VerificationReport = {
    ok: true,
    mode: database ? (archive ? 'full' : 'database-only') : 'archive-only',
    complete: true,
    first: null,
    findings: [],
    omitted: 0,
    checked: {
      checkpoints: 0,
      treeSize: 0,
      leaves: 0,
      roots: 0,
      databaseRows: 0,
      archivedRows: 0,
      archivedFiles: 0,
      pending: 0,
      notYetCopied: 0,
      unfinishedArchivals: 0,
    },
  };

  const run = async (view: LogDatabaseView | undefined) => {
    const checkpoints = await verifyCheckpoints({
      publicKeys: options.publicKeys,
      ...(view && { database: view.checkpoints() }),
      ...(archive &&
        listed && { archive: { objects: listed.checkpoints, read: (key) => archive.read(key), listedAt: listed.at } }),
      copyDepth: options.copyDepth ?? DEFAULT_ARCHIVE_REPAIR_DEPTH,
      copyGraceMs: options.copyGraceMs ?? DEFAULT_COPY_GRACE_MS,
      findings,
      stop,
    });
    Object.assign(report.checked, {
      checkpoints: checkpoints.checked,
      treeSize: checkpoints.treeSize,
      notYetCopied: checkpoints.notYetCopied,
    });

    const archiveFindings = new PassFindings();
    const opened = archive && (await openArchiveRows(archive, archiveFindings));
    try {
      if (opened) {
        checkArchiveFiles(opened.plan, opened.rows.files, checkpoints.heads, archiveFindings);
        report.checked.archivedFiles = opened.plan.listed.length;
        report.checked.unfinishedArchivals = opened.plan.unfinished;
      }
      const leaves = await verifyLeaves({
        heads: checkpoints.heads,
        statedTreeSize: checkpoints.statedTreeSize,
        ...(view && {
          database: {
            entries: view.entries(),
            treeSize: checkpoints.databaseTreeSize,
            frontier: (number: number) => view.frontier(number),
          },
        }),
        ...(archive &&
          listed && {
            tiles: tileLeaves(listed.leaves, (key) => archive.stream(key), archiveFindings, checkpoints.copiesDueBelow),
          }),
        ...(opened && { archivedRows: opened.rows.rows() }),
        archivedMonths: opened?.plan.archivedMonths ?? new Set(),
        ...(checkpoints.truncated && { truncated: checkpoints.truncated }),
        stop,
      });
      Object.assign(report.checked, {
        leaves: leaves.leaves,
        roots: leaves.roots.checked,
        databaseRows: leaves.databaseRows,
        archivedRows: leaves.archivedRows,
      });
      findings.addAll(archiveFindings);
      const unlogged = view && leaves.complete ? await view.unlogged(UNLOGGED_PER_MONTH) : undefined;
      findings.addAll(bySeq([...leaves.findings.list, ...missingFindings(leaves.missing, unlogged)]));
      findings.omit(leaves.findings.dropped);
      if (unlogged) {
        report.checked.pending = unlogged.pending;
        findings.addAll(outsideTheLog(unlogged));
      }
      report.complete = checkpoints.complete && leaves.complete;
    } finally {
      await opened?.rows.close();
    }
  };
  if (database) await database.snapshot(run);
  else await run(undefined);

  report.findings = [...findings.findings];
  report.omitted = findings.omitted;
  report.first = report.findings[0] ?? null;
  report.ok = findings.count === 0;
  return report;
}

/** The archive's event files: manifests read and checked, then every listed file fetched, hashed and opened. */
async function openArchiveRows(archive: LogArchiveReader, found: PassFindings) {
  const objects: ArchiveObject[] = await archive.list(ARCHIVE_ROOT_PREFIX);
  const manifestKeys = objects.filter((o) => isManifestKey(o.key)).map((o) => o.key);
  const manifests: { key: string; text: string | undefined }[] = [];
  for await (const batch of mapOrdered(manifestKeys, 8, async (key) => ({
    key,
    text: (await archive.read(key))?.toString('utf8'),
  })))
    manifests.push(...batch);
  const plan = planArchiveFiles(
    manifests,
    objects.filter((o) => o.key.endsWith('.parquet')),
    found,
  );
  const rows: ArchivedRows = await archive.openRows(plan.listed);
  return { plan, rows };
}

/**
 * Seqs with no event anywhere, as findings; an events row the log holds under another occurred_at (found among the
 * rows outside the log) is not deleted but modified, and is taken out of its range.
 */
function missingFindings(runs: readonly MissingRun[], unlogged: UnloggedRows | undefined): Finding[] {
  const findings: Finding[] = [];
  const moved = new Map<number, NonNullable<UnloggedRows['months'][number]['rows'][number]>>();
  for (const month of unlogged?.months ?? [])
    for (const row of month.rows) if (row.logged) moved.set(row.logged.seq, row);
  for (const run of runs) {
    let from = run.from;
    const flush = (to: number) => {
      if (to >= from) findings.push(missingFinding(run, from, to));
    };
    for (let seq = run.from; seq <= run.to && moved.size > 0; seq++) {
      const row = run.unlogged ? undefined : moved.get(seq);
      if (!row) continue;
      moved.delete(seq);
      flush(seq - 1);
      from = seq + 1;
      const intact = leafHash(row.event).equals(row.logged!.leafHash);
      findings.push({
        kind: intact ? 'leaves-tampered' : 'event-modified',
        seq,
        id: row.event.id,
        message: intact
          ? `event_log has it under another occurred_at than its row (${row.event.occurredAt}), whose leaf is intact`
          : `its row is now at occurred_at ${row.event.occurredAt} and no longer hashes to the leaf sealed at seq ${seq}`,
      });
    }
    flush(run.to);
  }
  // Logged under another occurred_at where the sealed one is still there: a second row with a sealed id.
  for (const [seq, row] of moved)
    findings.push({
      kind: 'row-inserted',
      seq,
      id: row.event.id,
      message: `a second events row (occurred_at ${row.event.occurredAt}) under the id sealed at seq ${seq}`,
    });
  return findings;
}

function missingFinding(run: MissingRun, from: number, to: number): Finding {
  const seqs = { from, to };
  if (run.kind === 'archive-rows-deleted')
    return {
      kind: 'archive-rows-deleted',
      seqs,
      message: `the rows of ${seqRangeText(from, to)}, of an archived month, are neither in PostgreSQL nor in any archived file`,
    };
  return {
    kind: 'events-deleted',
    seqs,
    message: run.unlogged
      ? `event_log has no rows for ${seqRangeText(from, to)}, which the signed tree holds: sealed events deleted with their log rows`
      : `the events of ${seqRangeText(from, to)} are gone from PostgreSQL (event_log still has them)`,
  };
}

/** Events rows the log should hold and does not: row-inserted, a few per month, the rest counted. */
function outsideTheLog(unlogged: UnloggedRows): Finding[] {
  const findings: Finding[] = [];
  for (const { month, count, rows } of unlogged.months) {
    const listed = rows.filter((row) => !row.logged);
    for (const row of listed)
      findings.push({
        kind: 'row-inserted',
        id: row.event.id,
        message: `an events row of ${month} that no checkpoint sealed, though the log has passed where it would be`,
      });
    const rest = count - rows.length;
    if (rest > 0) findings.push({ kind: 'row-inserted', message: `and ${rest} more such rows of ${month}` });
  }
  return findings;
}

/** Leaf findings by where they are in the log; at one seq, in the order of FINDING_KINDS. */
function bySeq(findings: Finding[]): Finding[] {
  const at = (f: Finding) => f.seq ?? f.seqs?.from ?? Number.POSITIVE_INFINITY;
  return findings.sort((a, b) => at(a) - at(b) || FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind));
}
