import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
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
  private readonly live = new Map<number, JournalEntry>();
  private readonly liveBytes = new Map<string, number>();
  private queued: { line: string; durable?: () => void; failed?: (error: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private linesWritten = 0;

  private constructor(
    private readonly file: string,
    entries: JournalEntry[],
  ) {
    for (const entry of entries) this.remember(entry);
    this.nextSeq = Math.max(0, ...entries.map((e) => e.seq)) + 1;
    this.fd = openSync(file, 'a');
    syncDirectory(file);
  }

  /** Opens (or creates) the journal; the messages it holds unacked are `pending()`, in the order they were sent. */
  static open(file: string): QueueJournal {
    const entries = existsSync(file) ? readJournal(readFileSync(file, 'utf8')) : [];
    const journal = new QueueJournal(file, entries);
    journal.compact();
    return journal;
  }

  /** Unacked messages, oldest first. */
  pending(): JournalEntry[] {
    return [...this.live.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Bytes of message bodies sent to `queue` and not yet acked: the backlog the queue holds in memory. */
  backlogBytes(queue: string): number {
    return this.liveBytes.get(queue) ?? 0;
  }

  /** Appends the messages; resolves with their sequence numbers once they are on disk. */
  async append(queue: string, messages: readonly JournaledMessage[]): Promise<number[]> {
    const entries = messages.map((message) => ({ seq: this.nextSeq++, queue, message }));
    // Counted at once, so a compaction running before the write is synced keeps them.
    for (const entry of entries) this.remember(entry);
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
      }
      for (const p of batch) p.durable?.();
    } catch (error) {
      for (const p of batch) p.failed?.(error as Error);
    } finally {
      this.flushing = undefined;
      if (this.linesWritten > COMPACT_EVERY_LINES && this.live.size * 4 < this.linesWritten) this.compact();
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
  }

  private remember(entry: JournalEntry): void {
    this.live.set(entry.seq, entry);
    this.liveBytes.set(entry.queue, this.backlogBytes(entry.queue) + sizeOf(entry.message));
  }

  private forget(seq: number): boolean {
    const entry = this.live.get(seq);
    if (!entry) return false;
    this.live.delete(seq);
    this.liveBytes.set(entry.queue, this.backlogBytes(entry.queue) - sizeOf(entry.message));
    return true;
  }
}

/** Compaction is considered after this many lines, when fewer than a quarter of them are still unacked. */
const COMPACT_EVERY_LINES = 50_000;

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
  const live = new Map<number, JournalEntry>();
  const lines = text.split('\n');
  const last = lines.length - 1;
  lines.forEach((raw, index) => {
    if (raw === '') return;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      if (index === last) return;
      throw new Error(`queue journal line ${index + 1} is damaged (not JSON): ${raw.slice(0, 80)}`);
    }
    if ('a' in line) for (const seq of line.a) live.delete(seq);
    else live.set(line.s, { seq: line.s, queue: line.q, message: line.m });
  });
  return [...live.values()];
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
