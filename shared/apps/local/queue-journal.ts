import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  write,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** One SendMessage(Batch) entry as the SQS JSON protocol carries it, kept whole so a replay sends the same message. */
export interface JournaledMessage {
  MessageBody: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  MessageAttributes?: Record<string, unknown>;
}

export interface JournalEntry {
  seq: number;
  queue: string;
  message: JournaledMessage;
}

type Line = { s: number; q: string; m: JournaledMessage } | { a: number[] };

/**
 * The local queue's write-ahead journal (`DATA_DIR/queue/journal.ndjson`): every message sent to a queue is appended
 * and fsync'd before the send is answered, every delete appends an ack. What is sent and not acked is what the queues
 * hold; a restart (after `kill -9` or power loss) sends it again. Concurrent appends share one write and one fdatasync
 * (group commit). Acks are written without waiting for the disk: a lost ack only means the message is delivered again,
 * and the store ignores an event id it already holds.
 */
export class QueueJournal {
  private fd: number;
  private nextSeq = 1;
  /**
   * Unacked entries, in send order, with when each was sent (or, for what an earlier run left, read back at start;
   * epoch ms) and its body's bytes.
   */
  private readonly live = new Map<number, { entry: JournalEntry; since: number; bytes: number }>();
  private readonly liveBytes = new Map<string, number>();
  private queued: { line: string; durable?: () => void; failed?: (error: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private linesWritten = 0;
  private bytesWritten = 0;

  private constructor(
    private readonly file: string,
    entries: JournalEntry[],
  ) {
    for (const entry of entries) this.remember(entry);
    // A loop, not Math.max(...seqs): a crash can leave more entries than a call's arguments may hold.
    for (const entry of entries) if (entry.seq >= this.nextSeq) this.nextSeq = entry.seq + 1;
    this.fd = openSync(file, 'a');
    syncDirectory(file);
  }

  /** Opens (or creates) the journal; the messages it holds unacked are `pending()`, in the order they were sent. */
  static open(file: string): QueueJournal {
    const entries = existsSync(file) ? readJournalFile(file) : [];
    const journal = new QueueJournal(file, entries);
    journal.compact();
    return journal;
  }

  /** Unacked messages, oldest first. */
  pending(): JournalEntry[] {
    return Array.from(this.live.values(), (live) => live.entry).sort((a, b) => a.seq - b.seq);
  }

  /** Bytes of message bodies sent to `queue` and not yet acked: the backlog the queue holds in memory. */
  backlogBytes(queue: string): number {
    return this.liveBytes.get(queue) ?? 0;
  }

  /**
   * Seconds the oldest unacked message of `queue` has been on it (waiting or in flight: what SQS's
   * ApproximateAgeOfOldestMessage measures); 0 when there is none. Entries are kept in send order.
   */
  oldestAgeSeconds(queue: string, now = Date.now()): number {
    for (const { entry, since } of this.live.values())
      if (entry.queue === queue) return Math.max(0, (now - since) / 1000);
    return 0;
  }

  /** Appends the messages; resolves with their sequence numbers once they are on disk. */
  async append(queue: string, messages: readonly JournaledMessage[]): Promise<number[]> {
    const entries = messages.map((message) => ({ seq: this.nextSeq++, queue, message }));
    // Counted at once, so a compaction running before the write is synced keeps them.
    const now = Date.now();
    for (const entry of entries) this.remember(entry, now);
    try {
      await new Promise<void>((durable, failed) => {
        this.queued.push({ line: entries.map(lineOf).join(''), durable, failed });
        this.scheduleFlush();
      });
    } catch (error) {
      for (const entry of entries) this.forget(entry.seq);
      throw error;
    }
    return entries.map((e) => e.seq);
  }

  /** Records deletes (not waited on: see the class comment). */
  ack(seqs: readonly number[]): void {
    const known = seqs.filter((seq) => this.forget(seq));
    if (known.length === 0) return;
    this.queued.push({ line: `${JSON.stringify({ a: known } satisfies Line)}\n` });
    this.scheduleFlush();
  }

  /** Waits for every queued line to be written and synced. */
  async flush(): Promise<void> {
    while (this.flushing || this.queued.length > 0) {
      this.scheduleFlush();
      await this.flushing;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    fdatasyncSync(this.fd);
    closeSync(this.fd);
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushPending());
  }

  /**
   * One write and (if anybody waits for durability) one fdatasync for everything queued since the last flush, off the
   * event loop (libuv's thread pool): what arrives meanwhile is taken by the next flush.
   */
  private async flushPending(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    try {
      if (batch.length > 0) {
        const buffer = Buffer.from(batch.map((p) => p.line).join(''));
        for (let offset = 0; offset < buffer.length; )
          offset += (await writeAsync(this.fd, buffer, offset, buffer.length - offset)).bytesWritten;
        if (batch.some((p) => p.durable)) await fdatasyncAsync(this.fd);
        this.linesWritten += batch.length;
        this.bytesWritten += buffer.length;
      }
      for (const p of batch) p.durable?.();
    } catch (error) {
      for (const p of batch) p.failed?.(error as Error);
    } finally {
      this.flushing = undefined;
      if (this.worthCompacting()) this.compact();
      if (this.queued.length > 0) this.scheduleFlush();
    }
  }

  /** Rewrites the journal with only the unacked messages (to a new file, synced, then renamed over the old one). */
  private compact(): void {
    const temporary = `${this.file}.compacting`;
    const fd = openSync(temporary, 'w');
    try {
      writeAll(fd, this.pending().map(lineOf).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    syncDirectory(this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.linesWritten = this.live.size;
    this.bytesWritten = statSync(this.file).size;
  }

  /** Most of the file is acked: by lines (many small messages) or by bytes (a few large ones). */
  private worthCompacting(): boolean {
    if (this.linesWritten > COMPACT_EVERY_LINES && this.live.size * 4 < this.linesWritten) return true;
    const liveBytes = [...this.liveBytes.values()].reduce((sum, bytes) => sum + bytes, 0);
    return this.bytesWritten > COMPACT_EVERY_BYTES && liveBytes * 4 < this.bytesWritten;
  }

  private remember(entry: JournalEntry, since = Date.now()): void {
    const bytes = sizeOf(entry.message);
    this.live.set(entry.seq, { entry, since, bytes });
    this.liveBytes.set(entry.queue, this.backlogBytes(entry.queue) + bytes);
  }

  private forget(seq: number): boolean {
    const live = this.live.get(seq);
    if (!live) return false;
    this.live.delete(seq);
    this.liveBytes.set(live.entry.queue, this.backlogBytes(live.entry.queue) - live.bytes);
    return true;
  }
}

/** Compaction is considered after this many lines, when fewer than a quarter of them are still unacked. */
const COMPACT_EVERY_LINES = 50_000;
const COMPACT_EVERY_BYTES = 64 * 2 ** 20;

function lineOf(entry: JournalEntry): string {
  return `${JSON.stringify({ s: entry.seq, q: entry.queue, m: entry.message } satisfies Line)}\n`;
}

function sizeOf(message: JournaledMessage): number {
  return Buffer.byteLength(message.MessageBody);
}

/**
 * The unacked entries of a journal's text. A last line cut short by a crash is ignored: its send was never answered
 * (the answer waits for the fsync), so the sender retries it. A broken line anywhere else means the file was damaged.
 */
export function readJournal(text: string): JournalEntry[] {
  const lines = text.split('\n');
  return replayLines(lines.map((raw, index) => ({ raw, last: index === lines.length - 1 })));
}

/** The same, read from the file a chunk at a time: a journal can be larger than a string may be. */
export function readJournalFile(file: string): JournalEntry[] {
  return replayLines(fileLines(file));
}

function replayLines(lines: Iterable<{ raw: string; last: boolean }>): JournalEntry[] {
  const live = new Map<number, JournalEntry>();
  let number = 0;
  for (const { raw, last } of lines) {
    number++;
    if (raw === '') continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      if (last) continue;
      throw new Error(`queue journal line ${number} is damaged (not JSON): ${raw.slice(0, 80)}`);
    }
    if ('a' in line) for (const seq of line.a) live.delete(seq);
    else live.set(line.s, { seq: line.s, queue: line.q, message: line.m });
  }
  return [...live.values()];
}

/** The file's lines; `last` marks the one after the final newline (empty, or cut short by a crash). */
function* fileLines(file: string): Generator<{ raw: string; last: boolean }> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let pending: Buffer = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      let data = Buffer.concat([pending, chunk.subarray(0, read)]);
      for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10)) {
        yield { raw: data.subarray(0, newline).toString('utf8'), last: false };
        data = data.subarray(newline + 1);
      }
      pending = Buffer.from(data);
    }
    yield { raw: pending.toString('utf8'), last: true };
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset);
}

/** A new or renamed file survives power loss only once its directory entry is synced too. */
function syncDirectory(file: string): void {
  const fd = openSync(dirname(file), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
