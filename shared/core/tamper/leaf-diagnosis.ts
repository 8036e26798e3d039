import type { Finding } from './findings.ts';

/**
 * A seq where the leaves disagree: a row that does not hash to the reference leaf (the archive's, else event_log's),
 * or the archive's leaf and event_log's differing. Kept until the walk ends, when every leaf a misplaced row could
 * belong to has been seen and every root around it checked.
 */
export interface Candidate {
  seq: number;
  /** Where the row is: an events row, an archived row, or no row (the leaves alone differ). */
  source: 'database' | 'archive' | 'log';
  id?: string;
  /** The Parquet file of an archived row. */
  key?: string;
  /** The row's leaf, recomputed; or why it cannot be. */
  recomputed?: Buffer;
  unreadable?: string;
  /** The archive's leaf at this seq, and the object it is in. */
  tile?: Buffer;
  tileKey?: string;
  /** event_log's leaf at this seq. */
  logged?: Buffer;
  /** An archived row whose own leaf_hash column is not its leaf. */
  ownLeafWrong?: boolean;
  /** The seq whose archive leaf this row's leaf is: the row is out of place. */
  belongsAt?: number;
}

/** A checkpoint whose root the reference leaves of (from, to] did not have: some of them are wrong. */
export interface RootMismatch {
  number: number;
  from: number;
  to: number;
  /** Where the interval's reference leaves came from. */
  fromTiles: boolean;
  fromLog: boolean;
  missing: boolean;
}

/**
 * Names what each disagreement is. A row whose leaf is the archive's leaf of another seq is out of place (rows
 * reordered; a pair that swapped is one finding). Otherwise, where the archive's leaf and event_log's agree, or only
 * one of them exists, a row that differs was modified. Where they differ, the root of the checkpoint over them
 * decides: matched, the archive's leaf is the signed one and event_log's was changed; not matched, the archive's
 * leaf is the changed one. A checkpoint root no disagreement explains means leaves changed consistently everywhere
 * the walk could see (event_log and the archive alike, or event_log where the archive has no copy yet).
 */
export function classifyCandidates(candidates: readonly Candidate[], mismatches: readonly RootMismatch[]): Finding[] {
  const findings: Finding[] = [];
  const explained = new Set<RootMismatch>();
  const mismatchAt = (seq: number) => mismatches.find((m) => seq >= m.from && seq < m.to);
  const bySeq = new Map(candidates.map((c) => [c.seq, c]));
  const pairedWith = new Set<Candidate>();

  for (const c of candidates) {
    const mismatch = mismatchAt(c.seq);
    if (c.belongsAt !== undefined) {
      const other = bySeq.get(c.belongsAt);
      if (pairedWith.has(c)) continue;
      if (other?.belongsAt === c.seq) pairedWith.add(other);
      const [from, to] = c.seq < c.belongsAt ? [c.seq, c.belongsAt] : [c.belongsAt, c.seq];
      const ids = [c.id, other?.belongsAt === c.seq ? other.id : undefined].filter(Boolean);
      findings.push({
        kind: 'rows-reordered',
        seqs: { from, to },
        ...(c.id && { id: c.id }),
        ...(c.key && { key: c.key }),
        message:
          other?.belongsAt === c.seq
            ? `the rows at seqs ${from} and ${to} (${ids.join(', ')}) are at each other's places`
            : `the row at seq ${c.seq} is the one sealed at seq ${c.belongsAt}`,
      });
      if (mismatch) explained.add(mismatch);
      continue;
    }
    const found = classify(c, mismatch);
    if (mismatch && found.some((f) => f.kind === 'archive-file-replaced' || f.kind === 'leaves-tampered'))
      explained.add(mismatch);
    findings.push(...found);
  }

  for (const m of mismatches) {
    if (explained.has(m) || m.missing) continue;
    findings.push({
      kind: 'leaves-tampered',
      number: m.number,
      seqs: { from: m.from, to: m.to - 1 },
      message:
        `the leaves of seqs ${m.from}..${m.to - 1} (${[m.fromTiles && "the archive's", m.fromLog && "event_log's"].filter(Boolean).join(' and ')}) ` +
        `do not hash to checkpoint ${m.number}'s signed root`,
    });
  }
  return findings;
}

function classify(c: Candidate, mismatch: RootMismatch | undefined): Finding[] {
  const where = { seq: c.seq, ...(c.id && { id: c.id }) };
  const leavesDiffer = c.tile !== undefined && c.logged !== undefined && !c.tile.equals(c.logged);
  // The archive's leaf is the signed one unless the root over the archive's leaves failed.
  const tileWrong = leavesDiffer && mismatch !== undefined;
  const findings: Finding[] = [];

  if (leavesDiffer && tileWrong)
    findings.push({
      kind: 'archive-file-replaced',
      ...(c.tileKey && { key: c.tileKey }),
      seq: c.seq,
      message: `the archive's leaf for seq ${c.seq} is not event_log's, and the archive's leaves do not hash to checkpoint ${mismatch.number}'s signed root`,
    });

  // No archive leaf here, and the root over event_log's leaves failed: event_log's leaf is the changed one, whatever
  // the row says.
  if (c.source !== 'log' && c.tile === undefined && mismatch !== undefined && !c.unreadable) {
    findings.push({
      kind: 'leaves-tampered',
      ...where,
      message: `event_log's leaf for seq ${c.seq} is not its row's, and event_log's leaves do not hash to checkpoint ${mismatch.number}'s signed root`,
    });
    return findings;
  }
  const truth = tileWrong ? c.logged : (c.tile ?? c.logged);
  const differs = c.unreadable !== undefined || (truth !== undefined && !c.recomputed!.equals(truth));
  if (c.source === 'database' && differs)
    findings.push({
      kind: 'event-modified',
      ...where,
      message: c.unreadable
        ? `its row ${c.unreadable}`
        : `its row no longer hashes to the leaf sealed at seq ${c.seq}${
            leavesDiffer && !tileWrong && c.recomputed!.equals(c.logged!)
              ? ", and its event_log leaf was rewritten to match it (the archive's copy and the signed root keep the original)"
              : ''
          }`,
    });
  if (c.source === 'archive' && (differs || c.ownLeafWrong))
    findings.push({
      kind: 'archive-row-modified',
      ...where,
      ...(c.key && { key: c.key }),
      message: c.unreadable
        ? `the archived row ${c.unreadable}`
        : differs
          ? `the archived row no longer hashes to the leaf sealed at seq ${c.seq}`
          : 'the archived row is intact but its leaf_hash column is not its leaf',
    });

  if (leavesDiffer && !tileWrong)
    findings.push({
      kind: 'leaves-tampered',
      ...where,
      message: `event_log's leaf for seq ${c.seq} is not the archive's copy of it, which the signed root confirms`,
    });
  return findings;
}
