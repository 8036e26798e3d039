import type { StoredEvent } from '../domain/event.ts';
import type { ArchivedRow, LogEntry } from '../ports/log-audit.ts';
import { PassFindings } from './findings.ts';
import { leafHash } from './leaf.ts';
import { type Candidate, classifyCandidates, type RootMismatch } from './leaf-diagnosis.ts';
import { CompactRange } from './merkle.ts';
import { Peekable } from './streams.ts';
import type { TileLeaf } from './tile-leaves.ts';
import type { CheckpointHead } from './verify-checkpoints.ts';

export interface LeafSources {
  heads: readonly CheckpointHead[];
  /** The largest tree size any checkpoint states (signed or not): a leaf below it is claimed, not inserted. */
  statedTreeSize: number;
  /** PostgreSQL's log; absent when verifying the archive alone. */
  database?: {
    entries: AsyncIterable<readonly LogEntry[]>;
    /** How many leaves event_log should hold: its last checkpoint's tree size. */
    treeSize: number;
    /** A checkpoint's stored frontier: where root checks resume after a root that did not match. */
    frontier(number: number): Promise<Buffer[] | undefined>;
  };
  /** The archive's leaf hashes (tile-leaves.ts); absent without an archive. */
  tiles?: AsyncIterable<readonly TileLeaf[]>;
  /** Archived rows with a log_seq, in log_seq order. */
  archivedRows?: AsyncIterable<readonly ArchivedRow[]>;
  /** Months (YYYY-MM) the archive has a manifest for: a sealed event of one of them may be gone from PostgreSQL. */
  archivedMonths: ReadonlySet<string>;
  /** Seqs past PostgreSQL's last checkpoint that the archive's checkpoints cover: a cut tail, reported already. */
  truncated?: { fromSeq: number; toSeq: number };
  stop: () => boolean;
}

/** Seqs with no event anywhere, consecutive ones of one kind together. */
export interface MissingRun {
  kind: 'events-deleted' | 'archive-rows-deleted';
  from: number;
  to: number;
  /** Whether event_log lacks the rows too (not only the events). */
  unlogged: boolean;
}

export interface LeafPass {
  findings: PassFindings;
  missing: MissingRun[];
  /** Seqs walked. */
  leaves: number;
  /** Events rows and archived rows whose leaf was recomputed. */
  databaseRows: number;
  archivedRows: number;
  /** Checkpoint roots the leaves were checked against, and how many of them matched. */
  roots: { checked: number; matched: number };
  complete: boolean;
}

/** Mismatches kept for diagnosis; past this many, the rest are counted in the findings they make. */
const MAX_CANDIDATES = 10_000;
const MAX_MISSING_RUNS = 10_000;

/**
 * The leaves pass: every seq from 0 in order, PostgreSQL's event_log (with the events rows), the archive's leaf
 * hashes and the archived rows read side by side, one seq at a time, nothing held but the tree's frontier and the
 * mismatches found. At each seq the leaf is recomputed from every row that claims it (leaf.ts) and compared with
 * the archive's leaf, else event_log's; that reference leaf is appended to the tree, whose root is compared with
 * each checkpoint's when the tree reaches its size. So the roots check the stored leaves against the signatures,
 * and the rows are checked against the stored leaves: together, every row against a signed root. A root that does
 * not match resumes from the checkpoint's stored frontier (bound to its signed root), so one damaged range does not
 * hide the next. Mismatches are diagnosed at the end (leaf-diagnosis.ts), when every leaf they may match was seen.
 */
export async function verifyLeaves(sources: LeafSources): Promise<LeafPass> {
  const entries = sources.database && new Peekable(sources.database.entries);
  const tiles = sources.tiles && new Peekable(sources.tiles);
  const rows = sources.archivedRows && new Peekable(sources.archivedRows);
  const pass: LeafPass = {
    findings: new PassFindings(),
    missing: [],
    leaves: 0,
    databaseRows: 0,
    archivedRows: 0,
    roots: { checked: 0, matched: 0 },
    complete: true,
  };
  const candidates = new Candidates(pass.findings);
  const roots = new RootChecks(sources, pass);
  const lastSize = Math.max(sources.heads.at(-1)?.treeSize ?? 0, sources.statedTreeSize);

  try {
    await roots.reach(0);
    for (let seq = 0; ; seq++) {
      if (seq % 1024 === 0 && sources.stop()) {
        pass.complete = false;
        break;
      }
      const [entry, tile, archived] = await Promise.all([
        takeSeq(entries, seq, (e) => e.seq),
        takeSeq(tiles, seq, (t) => t.seq),
        takeAll(rows, seq),
      ]);
      if (entry === undefined && tile === undefined && archived.length === 0) {
        const next = Math.min(
          ...[await entries?.peek(), await tiles?.peek(), await rows?.peek()].map((item) => item?.seq ?? Infinity),
        );
        if (seq >= lastSize && next === Infinity) break;
        if (seq >= lastSize) {
          seq = next - 1;
          continue;
        }
        // Nothing anywhere up to the next thing seen, or the next checkpoint's size: one gap, taken in one step
        // (a stated tree size may be far ahead, if a checkpoint was made up by hand).
        const to = Math.min(next, lastSize, roots.nextSize()) - 1;
        if (sources.database) addGap(sources, pass, seq, to);
        roots.append(seq, undefined, false);
        await roots.reach(to + 1);
        seq = to;
        continue;
      }
      pass.leaves++;
      if (tile) candidates.tileSeen(tile);
      const reference = tile?.hash ?? entry?.leafHash;
      inspect(sources, pass, candidates, { seq, entry, tile, archived, reference, lastSize });
      roots.append(seq, reference, tile !== undefined);
      await roots.reach(seq + 1);
    }
  } finally {
    await Promise.all([entries?.close(), tiles?.close(), rows?.close()]);
  }
  pass.findings.push(...classifyCandidates(candidates.list, roots.mismatches));
  return pass;
}

interface AtSeq {
  seq: number;
  entry: LogEntry | undefined;
  tile: TileLeaf | undefined;
  archived: ArchivedRow[];
  reference: Buffer | undefined;
  lastSize: number;
}

/** Everything that claims one seq, compared. */
function inspect(sources: LeafSources, pass: LeafPass, candidates: Candidates, at: AtSeq): void {
  const { seq, entry, tile, archived, reference } = at;
  const inTruncated = sources.truncated && seq >= sources.truncated.fromSeq && seq < sources.truncated.toSeq;

  if (sources.database && entry === undefined && seq < at.lastSize && !inTruncated)
    addMissing(pass, { kind: 'events-deleted', from: seq, to: seq, unlogged: true });
  if (entry && seq >= at.lastSize)
    pass.findings.push({
      kind: 'row-inserted',
      seq,
      id: entry.eventId,
      message: `event_log has it at seq ${seq}, past every checkpoint's tree (${at.lastSize} leaves): sealed by no one`,
    });

  if (entry?.event) {
    pass.databaseRows++;
    const recomputed = recompute(entry.event);
    const mismatched =
      typeof recomputed === 'string' ||
      (tile !== undefined && !recomputed.equals(tile.hash)) ||
      !recomputed.equals(entry.leafHash);
    if (mismatched)
      candidates.add({
        seq,
        source: 'database',
        id: entry.eventId,
        ...(typeof recomputed === 'string' ? { unreadable: recomputed } : { recomputed }),
        ...(tile && { tile: tile.hash, tileKey: tile.key }),
        logged: entry.leafHash,
      });
  } else if (entry && archived.length === 0) {
    const kind = sources.archivedMonths.has(entry.occurredAt.slice(0, 7)) ? 'archive-rows-deleted' : 'events-deleted';
    addMissing(pass, { kind, from: seq, to: seq, unlogged: false });
  }

  for (const [i, row] of archived.entries()) {
    pass.archivedRows++;
    const event = 'unreadable' in row.event ? undefined : row.event;
    const recomputed = event ? recompute(event) : (row.event as { unreadable: string }).unreadable;
    if (i > 0 || seq >= at.lastSize) {
      pass.findings.push({
        kind: 'row-inserted',
        seq,
        ...(event && { id: event.id }),
        key: row.key,
        message:
          i > 0
            ? `a second archived row claims seq ${seq}`
            : `an archived row claims seq ${seq}, past every checkpoint's tree (${at.lastSize} leaves)`,
      });
      continue;
    }
    const ownLeafWrong = typeof recomputed === 'string' || row.leafHash !== recomputed.toString('hex');
    if (reference === undefined && !ownLeafWrong) continue;
    if (ownLeafWrong || (typeof recomputed !== 'string' && !recomputed.equals(reference!)))
      candidates.add({
        seq,
        source: 'archive',
        key: row.key,
        ...(event && { id: event.id }),
        ...(typeof recomputed === 'string' ? { unreadable: recomputed } : { recomputed }),
        ...(tile && { tile: tile.hash, tileKey: tile.key }),
        ...(entry && { logged: entry.leafHash }),
        ownLeafWrong,
      });
  }

  // The archive's leaf and event_log's differ at a seq whose row (if any) agreed with one of them: which is wrong
  // is for the roots to say.
  if (tile && entry && !tile.hash.equals(entry.leafHash) && !candidates.hasAt(seq))
    candidates.add({
      seq,
      source: 'log',
      id: entry.eventId,
      tile: tile.hash,
      tileKey: tile.key,
      logged: entry.leafHash,
    });
}

/** The leaf of an event, or why it cannot be computed (a value no writer could store, put there by hand). */
function recompute(event: StoredEvent): Buffer | string {
  try {
    return leafHash(event);
  } catch (error) {
    return `cannot be hashed as an event: ${(error as Error).message}`;
  }
}

/** Seqs from..to that nothing holds (no event_log row, no leaf copy, no row), less a cut tail reported already. */
function addGap(sources: LeafSources, pass: LeafPass, from: number, to: number): void {
  const cut = sources.truncated;
  const ranges = cut
    ? [
        [from, Math.min(to, cut.fromSeq - 1)],
        [Math.max(from, cut.toSeq), to],
      ]
    : [[from, to]];
  for (const [start, end] of ranges)
    if (start! <= end!) addMissing(pass, { kind: 'events-deleted', from: start!, to: end!, unlogged: true });
}

function addMissing(pass: LeafPass, run: MissingRun): void {
  const last = pass.missing.at(-1);
  if (last && last.kind === run.kind && last.unlogged === run.unlogged && last.to === run.from - 1) last.to = run.to;
  else if (pass.missing.length < MAX_MISSING_RUNS) pass.missing.push(run);
}

/** The next item if it is at `seq`; items before it (out of order: not from a sorted source) are skipped. */
async function takeSeq<T>(source: Peekable<T> | undefined, seq: number, seqOf: (item: T) => number) {
  if (!source) return undefined;
  for (;;) {
    const next = await source.peek();
    if (next === undefined || seqOf(next) > seq) return undefined;
    await source.next();
    if (seqOf(next) === seq) return next;
  }
}

async function takeAll(source: Peekable<ArchivedRow> | undefined, seq: number): Promise<ArchivedRow[]> {
  const rows: ArchivedRow[] = [];
  for (let row = await takeSeq(source, seq, (r) => r.seq); row; row = await takeSeq(source, seq, (r) => r.seq))
    rows.push(row);
  return rows;
}

/**
 * The mismatches, for diagnosis at the end, and what lets it name a reordering: each mismatched row's recomputed
 * leaf and each mismatched seq's archive leaf, looked up as later leaves come (only while there are mismatches).
 */
class Candidates {
  readonly list: Candidate[] = [];
  readonly #byRecomputed = new Map<string, Candidate>();
  readonly #byTile = new Map<string, Candidate>();
  #lastSeq = -1;

  constructor(private readonly findings: PassFindings) {}

  add(candidate: Candidate): void {
    if (this.list.length >= MAX_CANDIDATES) {
      this.findings.push(...classifyCandidates([candidate], []));
      return;
    }
    this.list.push(candidate);
    this.#lastSeq = candidate.seq;
    if (candidate.recomputed) {
      const home = this.#byTile.get(candidate.recomputed.toString('hex'));
      if (home && home.seq !== candidate.seq) candidate.belongsAt = home.seq;
      else this.#byRecomputed.set(candidate.recomputed.toString('hex'), candidate);
    }
    if (candidate.tile) this.#byTile.set(candidate.tile.toString('hex'), candidate);
  }

  hasAt(seq: number): boolean {
    return this.#lastSeq === seq;
  }

  /** A leaf of the archive, matched against the rows found out of place so far. */
  tileSeen(tile: TileLeaf): void {
    if (this.#byRecomputed.size === 0) return;
    const hex = tile.hash.toString('hex');
    const moved = this.#byRecomputed.get(hex);
    if (moved && moved.seq !== tile.seq) {
      moved.belongsAt = tile.seq;
      this.#byRecomputed.delete(hex);
    }
  }
}

/** The tree of reference leaves and its checks against each checkpoint's root, as the walk reaches each size. */
class RootChecks {
  #range: CompactRange | undefined = CompactRange.from(0, []);
  #next = 0;
  #interval = { from: 0, fromTiles: false, fromLog: false, missing: false };
  readonly mismatches: RootMismatch[] = [];

  constructor(
    private readonly sources: LeafSources,
    private readonly pass: LeafPass,
  ) {}

  append(seq: number, reference: Buffer | undefined, fromTile: boolean): void {
    if (reference === undefined) {
      this.#interval.missing = true;
      this.#range = undefined;
      return;
    }
    if (fromTile) this.#interval.fromTiles = true;
    else this.#interval.fromLog = true;
    if (this.#range && this.#range.size === seq) this.#range.append(reference);
    else this.#range = undefined;
  }

  /** The tree size of the next checkpoint to check (Infinity when none is left). */
  nextSize(): number {
    return this.sources.heads[this.#next]?.treeSize ?? Number.POSITIVE_INFINITY;
  }

  /** Checks every head of tree size `size` (the walk has appended `size` leaves). */
  async reach(size: number): Promise<void> {
    const { heads } = this.sources;
    while (this.#next < heads.length && heads[this.#next]!.treeSize <= size) {
      const head = heads[this.#next++]!;
      if (head.treeSize < size) continue;
      const matched = this.#range?.root().equals(head.rootHash) ?? false;
      if (this.#range) {
        this.pass.roots.checked++;
        if (matched) this.pass.roots.matched++;
        else this.mismatches.push({ number: head.number, ...this.#interval, to: head.treeSize });
      }
      if (!matched) this.#range = await this.resume(head);
      this.#interval = { from: head.treeSize, fromTiles: false, fromLog: false, missing: false };
    }
  }

  /** The tree as the checkpoint states it, from its stored frontier, if that frontier has its signed root. */
  private async resume(head: CheckpointHead): Promise<CompactRange | undefined> {
    const frontier = await this.sources.database?.frontier(head.number);
    if (!frontier) return undefined;
    try {
      const range = CompactRange.from(head.treeSize, frontier);
      return range.root().equals(head.rootHash) ? range : undefined;
    } catch {
      return undefined;
    }
  }
}
