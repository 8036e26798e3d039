import type { LogArchive } from '../ports/log-archive.ts';
import type { LogLeaf, LogPosition, LogStore, PendingEvents } from '../ports/log-store.ts';
import type { CheckpointSigner } from '../ports/signer.ts';
import { checkpointKey, leavesKey } from './archive-keys.ts';
import { nextCheckpointBody, type SignedCheckpoint, signCheckpoint } from './checkpoint.ts';
import { leafHash } from './leaf.ts';
import { CompactRange, type StoredNode, TILE_LEVELS } from './merkle.ts';

/**
 * Events read and hashed per chunk. Small enough that reading the next chunk overlaps hashing this one (the round
 * pipelines them): with chunks of 50,000 a round of 50,000 events ran at about 0.6 of the rate of chunks of 10,000.
 */
export const DEFAULT_SEAL_MAX_EVENTS = 10_000;
/** A round stops reading chunks after this long, and writes its checkpoint with what it has. */
export const DEFAULT_SEAL_MAX_ROUND_MS = 20_000;
/** How many checkpoints before a round's own it checks in the archive, copying again any that is missing. */
export const DEFAULT_ARCHIVE_REPAIR_DEPTH = 10;

export interface SealDeps {
  store: LogStore;
  signer: CheckpointSigner;
  archive: LogArchive;
  /** When the checkpoint is issued, and how late the oldest unsealed event is. */
  clock: () => Date;
  /** Milliseconds on a monotonic clock, for the round's time bound and duration (default performance.now). */
  elapsedMs?: () => number;
}

export interface SealOptions {
  logId: string;
  maxEvents?: number;
  maxRoundMs?: number;
  repairDepth?: number;
}

export interface ArchiveCopies {
  /** This round's checkpoint and leaves. */
  written: string[];
  /** Earlier copies found missing and written again. */
  repaired: string[];
  failed: { key: string; reason: string }[];
}

export interface SealResult {
  checkpoint: SignedCheckpoint;
  /** Events sealed by this round (seq treeSize − sealed … treeSize − 1). */
  sealed: number;
  /** False when the round stopped at its time bound with committed events still waiting. */
  complete: boolean;
  /** When the oldest stored event the log has not passed was received; null when there is none. */
  oldestUnsealedAt: string | null;
  /** Seconds since then; 0 when there is none. */
  lagSeconds: number;
  durationMs: number;
  archive: ArchiveCopies;
}

/** What a committed round leaves for the archive. */
interface SealedRound {
  checkpoint: SignedCheckpoint;
  firstSeq: number;
  leafHashes: Buffer[];
  complete: boolean;
}

/**
 * One sealing round: in one transaction of the store (alone: no other round interleaves), read the log's head, seal
 * every committed event after its position, chunk by chunk (each event's leaf hash appended to the tree, its leaf and
 * the completed tile nodes stored), then sign and store the next checkpoint, also when no event came: the fixed
 * cadence makes a missing checkpoint evidence. After the commit, copy the checkpoint and the new leaf hashes to the
 * archive, and copy again any of the last `repairDepth` ones found missing there. A failed copy is reported in the
 * result, not thrown: the round is committed, and the next one repairs it.
 */
export async function sealRound(deps: SealDeps, options: SealOptions): Promise<SealResult> {
  const elapsedMs = deps.elapsedMs ?? (() => performance.now());
  const started = elapsedMs();
  const maxEvents = options.maxEvents ?? DEFAULT_SEAL_MAX_EVENTS;
  const maxRoundMs = options.maxRoundMs ?? DEFAULT_SEAL_MAX_ROUND_MS;

  const round = await deps.store.round(async (tx): Promise<SealedRound> => {
    const head = await tx.head();
    await refuseToOverwrite(deps.archive, head ? head.checkpoint.body.number + 1 : 0);
    const range = head ? CompactRange.from(head.checkpoint.body.treeSize, head.frontier) : CompactRange.from(0, []);
    const firstSeq = range.size;
    let position: LogPosition | null = head?.position ?? null;
    const leafHashes: Buffer[] = [];
    let complete = false;
    // Pipelined on the round's connection: the next chunk is asked for before this one is hashed, and this one's
    // append is queued behind it, so the database reads and writes while JavaScript hashes. Calls run in the order
    // made; each promise is marked handled at once, so a failure surfaces where it is awaited, and only there.
    let next: Promise<PendingEvents> | undefined = handled(tx.pending(position, maxEvents));
    let appended: Promise<void> = Promise.resolve();
    while (next) {
      const chunk: PendingEvents = await next;
      position = chunk.last ?? position;
      complete = chunk.scanned < maxEvents;
      next = complete || elapsedMs() - started >= maxRoundMs ? undefined : handled(tx.pending(position, maxEvents));
      const chunkSeq = range.size;
      const leaves: LogLeaf[] = [];
      const nodes: StoredNode[] = [];
      for (const event of chunk.events) {
        const hash = leafHash(event);
        leaves.push({ eventId: event.id, occurredAt: event.occurredAt, leafHash: hash });
        leafHashes.push(hash);
        for (const node of range.append(hash)) if (node.level > 0 && node.level % TILE_LEVELS === 0) nodes.push(node);
      }
      await appended;
      appended = handled(tx.append(chunkSeq, leaves, nodes));
    }
    await appended;
    const body = nextCheckpointBody(head?.checkpoint.body, {
      logId: options.logId,
      treeSize: range.size,
      rootHash: range.root(),
      issuedAt: deps.clock(),
      keyId: deps.signer.keyId,
    });
    const checkpoint = await signCheckpoint(body, deps.signer);
    await tx.addCheckpoint(checkpoint, position, range.hashes);
    return { checkpoint, firstSeq, leafHashes, complete };
  });

  const archive = await copyToArchive(deps, round, options.repairDepth ?? DEFAULT_ARCHIVE_REPAIR_DEPTH);
  const oldest = await deps.store.oldestUnsealed();
  const lagSeconds = oldest ? Math.max(0, (deps.clock().getTime() - oldest.getTime()) / 1000) : 0;
  return {
    checkpoint: round.checkpoint,
    sealed: round.leafHashes.length,
    complete: round.complete,
    oldestUnsealedAt: oldest?.toISOString() ?? null,
    lagSeconds,
    durationMs: Math.round(elapsedMs() - started),
    archive,
  };
}

/**
 * The archive copies are the evidence that outlives a rewrite of PostgreSQL: if the archive already holds the
 * checkpoint this round would write, the database's log is behind its copies (its tail was cut, or the database was
 * restored from an older backup), and sealing on would overwrite the very copies that show it. The round refuses,
 * every time, until someone looks (`trail verify` names what is missing); on AWS the failed invocations raise the
 * sealer's Errors alarm.
 */
async function refuseToOverwrite(archive: LogArchive, number: number): Promise<void> {
  if (!(await archive.has(checkpointKey(number)))) return;
  throw new Error(
    `the archive already holds checkpoint ${number}, which the log in PostgreSQL does not: its tail was cut or the ` +
      `database restored from an older state. Nothing is sealed, so that the archive's copies stay as they are; ` +
      `run trail verify`,
  );
}

/** The promise itself, with a handler attached so that rejecting before it is awaited is not an unhandled rejection. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The archive copy of a checkpoint: the SignedCheckpoint as JSON, its body as signed. */
export function checkpointFile(checkpoint: SignedCheckpoint): Buffer {
  return Buffer.from(`${JSON.stringify(checkpoint)}\n`, 'utf8');
}

async function copyToArchive(deps: SealDeps, round: SealedRound, repairDepth: number): Promise<ArchiveCopies> {
  const copies: ArchiveCopies = { written: [], repaired: [], failed: [] };
  const attempt = async (key: string, work: () => Promise<boolean>, into: string[]) => {
    try {
      if (await work()) into.push(key);
    } catch (error) {
      copies.failed.push({ key, reason: (error as Error).message });
    }
  };
  const put = async (key: string, bytes: Buffer) => {
    await deps.archive.put(key, bytes);
    return true;
  };
  const { number } = round.checkpoint.body;
  await attempt(
    checkpointKey(number),
    () => put(checkpointKey(number), checkpointFile(round.checkpoint)),
    copies.written,
  );
  if (round.leafHashes.length > 0) {
    const key = leavesKey(round.firstSeq);
    await attempt(key, () => put(key, Buffer.concat(round.leafHashes)), copies.written);
  }

  // The checkpoints before this one, with the one before them for the first's leaf range.
  const from = Math.max(0, number - repairDepth);
  const recent = await deps.store.checkpoints(Math.max(0, from - 1), number).catch((error: Error) => {
    copies.failed.push({
      key: checkpointKey(from),
      reason: `could not read the checkpoints to check: ${error.message}`,
    });
    return [];
  });
  for (const [i, checkpoint] of recent.entries()) {
    const { body } = checkpoint;
    if (body.number < from) continue;
    const key = checkpointKey(body.number);
    await attempt(
      key,
      async () => !(await deps.archive.has(key)) && put(key, checkpointFile(checkpoint)),
      copies.repaired,
    );
    const previousSize = body.number === 0 ? 0 : recent[i - 1]?.body.treeSize;
    if (previousSize === undefined || body.treeSize === previousSize) continue;
    const leaves = leavesKey(previousSize);
    await attempt(
      leaves,
      async () =>
        !(await deps.archive.has(leaves)) &&
        put(leaves, Buffer.concat(await deps.store.leaves(previousSize, body.treeSize))),
      copies.repaired,
    );
  }
  return copies;
}
