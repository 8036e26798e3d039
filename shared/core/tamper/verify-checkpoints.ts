import type { ArchiveObject, StoredCheckpoint } from '../ports/log-audit.ts';
import { CHECKPOINTS_PREFIX } from './archive-keys.ts';
import { canonicalize } from './canonical-json.ts';
import {
  type CheckpointBody,
  checkpointHash,
  publicKeyFingerprint,
  type SignedCheckpoint,
  signedCheckpointSchema,
  verifyCheckpointSignature,
} from './checkpoint.ts';
import { type Finding, type FindingList, PassFindings } from './findings.ts';
import { mapOrdered, Peekable } from './streams.ts';

/** A checkpoint whose root the leaves must hash to: one per tree size, in order. */
export interface CheckpointHead {
  number: number;
  treeSize: number;
  rootHash: Buffer;
}

export interface CheckpointSources {
  /** The log's public keys (PEM): a checkpoint signed by any of them is signed. */
  publicKeys: readonly string[];
  /** PostgreSQL's checkpoints in number order; absent when verifying the archive alone. */
  database?: AsyncIterable<readonly StoredCheckpoint[]>;
  /** The archive's checkpoint copies as listed, and how to read one; absent when there is no archive. */
  archive?: {
    objects: readonly ArchiveObject[];
    read(key: string): Promise<Buffer | undefined>;
    /** When the listing was taken: a checkpoint issued after it cannot be expected in it. */
    listedAt: Date;
  };
  /** PostgreSQL's newest checkpoints the sealer still copies again when missing: not due in the archive yet. */
  copyDepth: number;
  /** A checkpoint issued this close to the listing (or after) may still be on its way to the archive. */
  copyGraceMs: number;
  findings: FindingList;
  /** True when time is up: the pass stops where it is. */
  stop: () => boolean;
}

export interface CheckpointPass {
  /** The checkpoints whose roots the leaves are checked against, by growing tree size. */
  heads: CheckpointHead[];
  /** Checkpoint numbers looked at. */
  checked: number;
  /** The tree size of PostgreSQL's last checkpoint: how many leaves event_log should hold (0 without one). */
  databaseTreeSize: number;
  /** The largest tree size a signed checkpoint states, in either place. */
  treeSize: number;
  /** The largest any checkpoint states, signed or not: leaves below it are claimed by one (if forged, reported). */
  statedTreeSize: number;
  /** Leaves from this seq on may still be missing from the archive: their round's copies are not due yet. */
  copiesDueBelow: number;
  /** PostgreSQL's checkpoints not in the archive yet, and not due there yet. */
  notYetCopied: number;
  /** The archive's checkpoints PostgreSQL no longer has, past its last one: the log's tail was cut. */
  truncated?: { number: number; fromSeq: number; toSeq: number };
  complete: boolean;
}

/** Where one copy of a checkpoint came from, and what is wrong with it (nothing: it is signed and well formed). */
interface Copy {
  signed?: SignedCheckpoint;
  problems: string[];
}

const KEY_PATTERN = new RegExp(`^${CHECKPOINTS_PREFIX}(\\d{20})\\.json$`);
/** Archive copies read at once: each is a small object, so latency, not bandwidth, is what overlaps. */
const READ_CONCURRENCY = 16;

/**
 * The checkpoints pass: every checkpoint number from 0, in PostgreSQL and in the archive side by side. Each copy must
 * be signed by the log's key and well formed; the two copies of a number must be the same; the numbers dense, each
 * body chained to the one before (previousHash), tree sizes never shrinking, one root per tree size. A number the
 * archive has and PostgreSQL lacks was deleted (or the tail cut, past PostgreSQL's last); one PostgreSQL has and the
 * archive lacks is missing there, unless it is among the newest, whose copies the sealer may still be making.
 * Findings in number order; the chosen copy of each number (the archive's when it is signed: Object Lock keeps it)
 * gives the heads the leaves are checked against.
 */
export async function verifyCheckpoints(sources: CheckpointSources): Promise<CheckpointPass> {
  const found = new PassFindings();
  const runs = new MissingRuns(found);
  const database = sources.database && new Peekable(sources.database);
  const archive = sources.archive && new Peekable(archiveCopies(sources.archive, sources.publicKeys, found));
  const pass: CheckpointPass = {
    heads: [],
    checked: 0,
    databaseTreeSize: 0,
    treeSize: 0,
    statedTreeSize: 0,
    copiesDueBelow: 0,
    notYetCopied: 0,
    complete: true,
  };
  const chain = new Chain(pass, found);
  /** PostgreSQL's copies the archive lacks, decided at the end (the newest are not due yet). */
  const notCopied = new NumberRuns();
  let lastInDatabase: number | undefined;
  let firstRecent: number | undefined;
  const recentAfter = sources.archive ? sources.archive.listedAt.getTime() - sources.copyGraceMs : 0;
  const truncated = { from: -1, to: -1 };

  try {
    for (let number = 0; ; number++) {
      if (sources.stop()) {
        pass.complete = false;
        break;
      }
      const [row, copy] = await Promise.all([takeNumber(database, number), takeNumber(archive, number)]);
      const [nextRow, nextCopy] = await Promise.all([database?.peek(), archive?.peek()]);
      if (row === undefined && copy === undefined) {
        if (nextRow === undefined && nextCopy === undefined) break;
        // A gap in both: one run up to the next number either has (which may be far: a number made up by hand).
        const next = Math.min(nextRow?.number ?? Infinity, nextCopy?.number ?? Infinity);
        runs.addRange(
          number,
          next - 1,
          sources.database && sources.archive ? 'in neither PostgreSQL nor the archive' : 'absent',
        );
        chain.skip(next - 1);
        number = next - 1;
        continue;
      }
      pass.checked++;
      const fromDatabase = row && databaseCopy(row, sources.publicKeys);
      const fromArchive = copy?.copy;
      for (const size of [row?.treeSize, fromDatabase?.signed?.body.treeSize, fromArchive?.signed?.body.treeSize])
        if (size !== undefined) pass.statedTreeSize = Math.max(pass.statedTreeSize, size);
      if (row) {
        lastInDatabase = number;
        pass.databaseTreeSize = row.treeSize;
        const issuedAt = fromDatabase?.signed && Date.parse(fromDatabase.signed.body.issuedAt);
        if (firstRecent === undefined && issuedAt !== undefined && issuedAt >= recentAfter) firstRecent = number;
      }

      if (fromDatabase && fromArchive) compareCopies(number, fromDatabase, fromArchive, found);
      else if (fromDatabase) {
        if (sources.archive) notCopied.add(number);
        reportProblems(number, 'PostgreSQL', fromDatabase, found);
      } else if (fromArchive) {
        if (sources.database && nextRow === undefined) {
          // Past PostgreSQL's last checkpoint: the tail was cut (one finding for all of it, below).
          if (truncated.from < 0) truncated.from = number;
          truncated.to = number;
        } else if (sources.database) runs.add(number, 'in the archive but deleted from PostgreSQL');
        reportProblems(number, 'the archive', fromArchive, found);
      }

      const chosen = [fromArchive, fromDatabase].find((c) => c?.signed && c.problems.length === 0)?.signed;
      if (chosen) chain.link(chosen);
      else chain.skip(number);
    }
    chain.flush();
  } finally {
    await Promise.all([database?.close(), archive?.close()]);
  }
  runs.flush();

  // The sealer copies a round's checkpoint right after its commit and re-copies the newest few when missing: those
  // may still arrive. Older ones will not.
  const dueBelow = Math.min(
    (lastInDatabase ?? chain.lastNumber) - sources.copyDepth + 1,
    firstRecent ?? Number.POSITIVE_INFINITY,
  );
  for (const run of notCopied.runs) {
    if (run.from < dueBelow)
      found.push(
        missing({ from: run.from, to: Math.min(run.to, dueBelow - 1) }, 'in PostgreSQL but not in the archive'),
      );
    pass.notYetCopied += Math.max(0, run.to - Math.max(run.from, dueBelow) + 1);
  }
  pass.copiesDueBelow = treeSizeBefore(pass.heads, dueBelow);

  if (truncated.from >= 0) {
    const fromSeq = pass.databaseTreeSize;
    pass.truncated = { number: truncated.from, fromSeq, toSeq: Math.max(fromSeq, pass.treeSize) };
    found.push({
      kind: 'log-truncated',
      number: truncated.from,
      ...(pass.treeSize > fromSeq && { seqs: { from: fromSeq, to: pass.treeSize - 1 } }),
      message:
        `the archive has checkpoints ${truncated.from}..${truncated.to} (tree size ${pass.treeSize}) past ` +
        (lastInDatabase === undefined
          ? 'PostgreSQL, which has none'
          : `PostgreSQL's last, ${lastInDatabase} (tree size ${fromSeq})`) +
        ': the log was cut back',
    });
  }
  found.list.sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  sources.findings.addAll(found);
  return pass;
}

/** The item numbered `number` if it is next; a later one stays for its turn. */
async function takeNumber<T extends { number: number }>(
  source: Peekable<T> | undefined,
  number: number,
): Promise<T | undefined> {
  const next = await source?.peek();
  if (next === undefined || next.number > number) return undefined;
  await source!.next();
  // A number below the expected one cannot come from a sorted, deduplicated source; skip it rather than loop.
  return next.number === number ? next : takeNumber(source, number);
}

/** The archive's copies in number order, read a few at a time; a key that names no checkpoint is a finding. */
async function* archiveCopies(
  archive: NonNullable<CheckpointSources['archive']>,
  publicKeys: readonly string[],
  found: PassFindings,
): AsyncGenerator<{ number: number; copy: Copy }[]> {
  const named: { key: string; number: number }[] = [];
  for (const { key } of archive.objects) {
    const match = KEY_PATTERN.exec(key);
    if (match) named.push({ key, number: Number(match[1]) });
    else
      found.push({
        kind: 'archive-file-replaced',
        key,
        message: 'is not named as a checkpoint copy is: not the sealer’s',
      });
  }
  yield* mapOrdered(named, READ_CONCURRENCY, async ({ key, number }) => ({
    number,
    copy: archiveCopy(number, await archive.read(key), publicKeys),
  }));
}

function archiveCopy(number: number, bytes: Buffer | undefined, publicKeys: readonly string[]): Copy {
  if (bytes === undefined) return { problems: ['its archive copy is gone'] };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problems: ['its archive copy is not JSON'] };
  }
  const parsed = signedCheckpointSchema.safeParse(json);
  if (!parsed.success)
    return { problems: [`its archive copy is not a signed checkpoint (${parsed.error.issues[0]?.message})`] };
  const problems: string[] = [];
  if (parsed.data.body.number !== number)
    problems.push(`its archive copy's body says number ${parsed.data.body.number}`);
  return { signed: parsed.data, problems: [...problems, ...signatureProblems(parsed.data, publicKeys)] };
}

function databaseCopy(row: StoredCheckpoint, publicKeys: readonly string[]): Copy {
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch {
    return { problems: ['its body in PostgreSQL is not JSON'] };
  }
  const parsed = signedCheckpointSchema.safeParse({ body, signature: row.signature.toString('base64') });
  if (!parsed.success)
    return { problems: [`its body in PostgreSQL is not a checkpoint (${parsed.error.issues[0]?.message})`] };
  const signed = parsed.data;
  const problems: string[] = [];
  if (canonicalize(signed.body) !== row.body)
    problems.push('its body in PostgreSQL is not the canonical JSON that is signed');
  if (signed.body.number !== row.number) problems.push(`its body says number ${signed.body.number}`);
  if (signed.body.treeSize !== row.treeSize)
    problems.push(`its tree_size column says ${row.treeSize}, its body ${signed.body.treeSize}`);
  if (signed.body.rootHash !== row.rootHash.toString('hex'))
    problems.push('its root_hash column is not its body’s root');
  return { signed, problems: [...problems, ...signatureProblems(signed, publicKeys)] };
}

function signatureProblems(signed: SignedCheckpoint, publicKeys: readonly string[]): string[] {
  if (publicKeys.some((key) => verifyCheckpointSignature(signed, key))) return [];
  const fingerprints = publicKeys.map(publicKeyFingerprint);
  const signer = signed.body.keyId.split(':').pop() ?? '';
  return [
    fingerprints.includes(signer)
      ? 'its signature is not valid'
      : `its signature is not valid for the public key (${fingerprints.join(', ')}); its keyId says ${signed.body.keyId}`,
  ];
}

/** The two copies of a number: one finding if they differ, saying which of them is signed. */
function compareCopies(number: number, fromDatabase: Copy, fromArchive: Copy, found: PassFindings): void {
  const same =
    fromDatabase.signed !== undefined &&
    fromArchive.signed !== undefined &&
    canonicalize(fromDatabase.signed) === canonicalize(fromArchive.signed);
  if (same) {
    reportProblems(
      number,
      'both copies',
      { ...fromDatabase, problems: [...new Set([...fromDatabase.problems, ...fromArchive.problems])] },
      found,
    );
    return;
  }
  const state = (copy: Copy) => (copy.problems.length === 0 ? 'is signed' : copy.problems.join('; '));
  found.push({
    kind: 'checkpoint-forged',
    number,
    message: `PostgreSQL's and the archive's copies differ: PostgreSQL's ${state(fromDatabase)}, the archive's ${state(fromArchive)}`,
  });
}

function reportProblems(number: number, where: string, copy: Copy, found: PassFindings): void {
  if (copy.problems.length === 0) return;
  found.push({ kind: 'checkpoint-forged', number, message: `${where}: ${copy.problems.join('; ')}` });
}

/**
 * The chosen checkpoints one after the other: each chained to the one before (when that number was good), tree
 * sizes never shrinking, one log, one root per tree size.
 */
class Chain {
  #previous: CheckpointBody | undefined;
  #logId: string | undefined;
  /** A link found broken, not reported yet: whether the next link breaks too says which checkpoint is the odd one. */
  #broken: number | undefined;
  lastNumber = -1;

  constructor(
    private readonly pass: CheckpointPass,
    private readonly found: PassFindings,
  ) {}

  link(signed: SignedCheckpoint): void {
    const { body } = signed;
    const forged = (message: string) => this.found.push({ kind: 'checkpoint-forged', number: body.number, message });
    const previous = this.#previous;
    this.lastNumber = body.number;
    this.#logId ??= body.logId;
    if (body.logId !== this.#logId) forged(`is for log "${body.logId}", the log is "${this.#logId}"`);
    if (previous && previous.number === body.number - 1) {
      const linked = body.previousHash === checkpointHash(previous).toString('hex');
      if (this.#broken !== undefined) {
        if (linked) this.flush();
        else {
          // Both links of the one before are broken: it is the rewritten one, and this link broke with it.
          const number = this.#broken;
          this.#broken = undefined;
          this.found.push({
            kind: 'checkpoint-forged',
            number,
            message: `neither its previousHash is checkpoint ${number - 1}'s hash nor its hash checkpoint ${number + 1}'s previousHash: it was rewritten`,
          });
        }
      } else if (!linked) this.#broken = body.number;
    }
    if (previous && body.treeSize < previous.treeSize) {
      forged(
        `its tree (${body.treeSize} leaves) is smaller than checkpoint ${previous.number}'s (${previous.treeSize})`,
      );
      this.#previous = body;
      return;
    }
    this.#previous = body;
    const head = this.pass.heads.at(-1);
    const rootHash = Buffer.from(body.rootHash, 'hex');
    if (head && head.treeSize === body.treeSize) {
      if (!head.rootHash.equals(rootHash))
        forged(`has another root for tree size ${body.treeSize} than checkpoint ${head.number}: a fork`);
      return;
    }
    this.pass.heads.push({ number: body.number, treeSize: body.treeSize, rootHash });
    this.pass.treeSize = Math.max(this.pass.treeSize, body.treeSize);
  }

  skip(number: number): void {
    this.lastNumber = number;
    this.flush();
  }

  /** Reports the broken link still pending: one of its two ends was rewritten. */
  flush(): void {
    if (this.#broken === undefined) return;
    const number = this.#broken;
    this.#broken = undefined;
    this.found.push({
      kind: 'checkpoint-forged',
      number,
      message: `its previousHash is not checkpoint ${number - 1}'s hash: the chain is broken there (one of the two was rewritten)`,
    });
  }
}

/** The tree size of the last head numbered below `number` (0 when there is none). */
function treeSizeBefore(heads: readonly CheckpointHead[], number: number): number {
  let size = 0;
  for (const head of heads) {
    if (head.number >= number) break;
    size = head.treeSize;
  }
  return size;
}

/** Missing numbers, consecutive ones of the same reason reported as one finding. */
class MissingRuns {
  #run: { from: number; to: number; reason: string } | undefined;

  constructor(private readonly found: PassFindings) {}

  add(number: number, reason: string): void {
    this.addRange(number, number, reason);
  }

  addRange(from: number, to: number, reason: string): void {
    if (this.#run && this.#run.reason === reason && this.#run.to === from - 1) this.#run.to = to;
    else {
      this.flush();
      this.#run = { from, to, reason };
    }
  }

  flush(): void {
    if (this.#run) this.found.push(missing(this.#run, this.#run.reason));
    this.#run = undefined;
  }
}

class NumberRuns {
  readonly runs: { from: number; to: number }[] = [];

  add(number: number): void {
    const last = this.runs.at(-1);
    if (last && last.to === number - 1) last.to = number;
    else this.runs.push({ from: number, to: number });
  }
}

function missing(run: { from: number; to: number }, reason: string): Finding {
  const which = run.from === run.to ? `checkpoint ${run.from} is` : `checkpoints ${run.from}..${run.to} are`;
  return { kind: 'checkpoint-missing', number: run.from, message: `${which} ${reason}` };
}
