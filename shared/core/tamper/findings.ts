/**
 * What verification reports: one finding per divergence between the log, the events and the archive, each of a kind
 * an auditor can act on, naming where it is (an event id, a seq or a range of seqs, a checkpoint number, an archive
 * key). docs/tamper-evidence.md, "Verification", says what each kind means.
 */
export const FINDING_KINDS = [
  /** An event's row no longer hashes to its leaf: some stored field changed (id, seq). */
  'event-modified',
  /** Sealed events that are gone from PostgreSQL, or whose event_log rows are (seqs). */
  'events-deleted',
  /** A row the log never sealed, where only sealed rows may be (id). */
  'row-inserted',
  /** Rows at each other's places in the log (seqs from, to). */
  'rows-reordered',
  /** An archive object that is not what was written: sha256, size, form, or not listed where it must be (key). */
  'archive-file-replaced',
  /** An archived row that no longer hashes to its leaf (seq, id, key). */
  'archive-row-modified',
  /** Archived rows, or a whole archived file, that are gone (seqs or key). */
  'archive-rows-deleted',
  /** A checkpoint number that PostgreSQL or the archive should have and does not (number). */
  'checkpoint-missing',
  /** A checkpoint whose signature, chain or root is wrong, or whose copies differ (number). */
  'checkpoint-forged',
  /** The archive knows a longer log than PostgreSQL holds: its tail was cut (number, seqs). */
  'log-truncated',
  /** event_log's leaf hashes differ from the archive's copy or from the signed roots (seq or seqs). */
  'leaves-tampered',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** One line a person reads. */
  message: string;
  seq?: number;
  /** A range of seqs, both ends included. */
  seqs?: { from: number; to: number };
  id?: string;
  number?: number;
  key?: string;
}

/** The default bound on the findings a report lists; the rest are counted. */
export const DEFAULT_MAX_FINDINGS = 100;

/** Findings in the order they are found, at most `max` of them kept; the rest only counted. */
export class FindingList {
  readonly #max: number;
  readonly #kept: Finding[] = [];
  #omitted = 0;

  constructor(max = DEFAULT_MAX_FINDINGS) {
    this.#max = max;
  }

  add(finding: Finding): void {
    if (this.#kept.length < this.#max) this.#kept.push(finding);
    else this.#omitted++;
  }

  addAll(findings: Iterable<Finding> | PassFindings): void {
    if (findings instanceof PassFindings) {
      this.addAll(findings.list);
      this.omit(findings.dropped);
      return;
    }
    for (const finding of findings) this.add(finding);
  }

  /** Findings a pass could not keep: counted as omitted. */
  omit(count: number): void {
    this.#omitted += count;
  }

  get findings(): readonly Finding[] {
    return this.#kept;
  }

  get omitted(): number {
    return this.#omitted;
  }

  get count(): number {
    return this.#kept.length + this.#omitted;
  }
}

/**
 * What one pass finds before the findings are put in order: at most `max` kept, the rest counted, so that a log
 * tampered with everywhere (or checked with the wrong key) fills no memory.
 */
export class PassFindings {
  readonly list: Finding[] = [];
  dropped = 0;

  constructor(private readonly max = 10_000) {}

  push(...findings: Finding[]): void {
    for (const finding of findings) {
      if (this.list.length < this.max) this.list.push(finding);
      else this.dropped++;
    }
  }
}

/** `event-modified seq 41 id 0196…: …`: the kind, where, then what. */
export function describeFinding(finding: Finding): string {
  const where = [
    finding.number !== undefined && `checkpoint ${finding.number}`,
    finding.seq !== undefined && `seq ${finding.seq}`,
    finding.seqs !== undefined &&
      (finding.seqs.from === finding.seqs.to
        ? `seq ${finding.seqs.from}`
        : `seqs ${finding.seqs.from}..${finding.seqs.to}`),
    finding.id !== undefined && `id ${finding.id}`,
    finding.key !== undefined && `key ${finding.key}`,
  ].filter(Boolean);
  return `${finding.kind}${where.length ? ` ${where.join(' ')}` : ''}: ${finding.message}`;
}

/** `2..5` or `7`: a range of seqs in a message. */
export function seqRangeText(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seqs ${from}..${to}`;
}
