import { createHash } from 'node:crypto';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type {
  ArchivedFile,
  ArchivedRow,
  ArchiveObject,
  LogArchiveReader,
  LogDatabase,
  LogEntry,
  StoredCheckpoint,
  UnloggedRow,
} from '../../shared/core/ports/log-audit.ts';
import type { CheckpointSigner } from '../../shared/core/ports/signer.ts';
import { checkpointKey, leavesKey } from '../../shared/core/tamper/archive-keys.ts';
import { canonicalize } from '../../shared/core/tamper/canonical-json.ts';
import { type CheckpointBody, nextCheckpointBody, signCheckpoint } from '../../shared/core/tamper/checkpoint.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { CompactRange } from '../../shared/core/tamper/merkle.ts';
import { storedEvent } from '../support/events.ts';

/** An event_log row as the model keeps it. */
export interface ModelEntry {
  seq: number;
  eventId: string;
  occurredAt: string;
  leafHash: Buffer;
}

/** A checkpoints row, with the frontier PostgreSQL stores beside it. */
export interface ModelCheckpoint extends StoredCheckpoint {
  frontier: Buffer[];
}

/**
 * PostgreSQL and the archive in memory, as the sealer and the archiver leave them, for the verifier's unit tests: a
 * test builds a clean log, tampers with these arrays and maps as an attacker would with the real stores, and
 * checks what verifyLog says. The integration suite does the same against real PostgreSQL and Parquet files.
 */
export class LogWorld {
  /** The events table. */
  events: StoredEvent[] = [];
  eventLog: ModelEntry[] = [];
  checkpoints: ModelCheckpoint[] = [];
  /** Event ids written after the latest checkpoint's position: the pending tail. */
  pending = new Set<string>();
  /** The archive: key → bytes. */
  objects = new Map<string, Buffer>();
  /** Archived rows by file key; a file's bytes are its rows as JSON. */
  parquet = new Map<string, ArchivedRow[]>();
  /** Whether the archived files have the log's columns. */
  logColumns = true;
  readonly #range = CompactRange.from(0, []);
  #previous: CheckpointBody | undefined;
  #clock = Date.parse('2026-05-01T00:00:00Z');

  constructor(readonly signer: CheckpointSigner) {}

  /** `count` new events in May 2026, stored and not sealed yet. */
  store(count: number, overrides: (i: number) => Partial<StoredEvent> = () => ({})): StoredEvent[] {
    const made = Array.from({ length: count }, (_, i) => {
      const n = this.events.length + i;
      return storedEvent({
        occurredAt: new Date(Date.parse('2026-05-10T00:00:00Z') + n * 60_000).toISOString(),
        receivedAt: new Date(Date.parse('2026-05-10T00:00:01Z') + n * 60_000).toISOString(),
        payload: { n },
        ...overrides(n),
      });
    });
    this.events.push(...made);
    return made;
  }

  /** One sealing round: every stored event not in the log gets the next seq; a signed checkpoint, copied. */
  async seal(options: { copy?: boolean } = {}): Promise<void> {
    const logged = new Set(this.eventLog.map((e) => e.eventId));
    const first = this.#range.size;
    const sealed: Buffer[] = [];
    for (const event of this.events) {
      if (logged.has(event.id) || this.pending.has(event.id)) continue;
      const hash = leafHash(event);
      this.eventLog.push({ seq: this.#range.size, eventId: event.id, occurredAt: event.occurredAt, leafHash: hash });
      this.#range.append(hash);
      sealed.push(hash);
    }
    this.#clock += 60_000;
    const body = nextCheckpointBody(this.#previous, {
      logId: 'test-log',
      treeSize: this.#range.size,
      rootHash: this.#range.root(),
      issuedAt: new Date(this.#clock),
      keyId: this.signer.keyId,
    });
    this.#previous = body;
    const signed = await signCheckpoint(body, this.signer);
    this.checkpoints.push({
      number: body.number,
      treeSize: body.treeSize,
      rootHash: Buffer.from(body.rootHash, 'hex'),
      body: canonicalize(body),
      signature: Buffer.from(signed.signature, 'base64'),
      frontier: this.#range.hashes,
    });
    if (options.copy === false) return;
    this.objects.set(checkpointKey(body.number), Buffer.from(`${JSON.stringify(signed)}\n`));
    if (sealed.length > 0) this.objects.set(leavesKey(first), Buffer.concat(sealed));
  }

  /**
   * Archives the events of `ids` as one month's file (generation 1 of 2026-05), with its manifest, and drops them
   * from the events table, as maintenance does (event_log keeps them).
   */
  archive(ids: ReadonlySet<string>): { key: string; manifestKey: string } {
    const key = 'events/year=2026/month=05/part-g1-00000.parquet';
    const manifestKey = 'events/year=2026/month=05/_manifest.json';
    const rows: ArchivedRow[] = this.eventLog
      .filter((e) => ids.has(e.eventId))
      .map((e) => ({
        key,
        seq: e.seq,
        leafHash: e.leafHash.toString('hex'),
        event: structuredClone(this.events.find((event) => event.id === e.eventId)!),
      }));
    this.parquet.set(key, rows);
    this.objects.set(key, fileBytes(rows));
    const manifest = {
      schemaVersion: 2,
      month: '2026-05',
      generation: 1,
      rowCount: rows.length,
      minOccurredAt: null,
      maxOccurredAt: null,
      files: [{ key, rows: rows.length, bytes: fileBytes(rows).length, sha256: sha256(fileBytes(rows)) }],
      columns: [],
    };
    this.objects.set(manifestKey, Buffer.from(JSON.stringify(manifest)));
    this.events = this.events.filter((event) => !ids.has(event.id));
    return { key, manifestKey };
  }

  /** Rewrites an archived file's bytes after its rows were changed in place (its manifest stays). */
  rewriteFile(key: string): void {
    this.objects.set(key, fileBytes(this.parquet.get(key)!));
  }

  database(): LogDatabase {
    return {
      snapshot: async (read) =>
        read({
          checkpoints: () => batches([...this.checkpoints].sort((a, b) => a.number - b.number)),
          frontier: async (number) => this.checkpoints.find((c) => c.number === number)?.frontier,
          entries: () =>
            batches(
              [...this.eventLog].sort((a, b) => a.seq - b.seq).map((e) => this.#joined(e)),
              3,
            ),
          unlogged: async (perMonth) => this.#unlogged(perMonth),
        }),
    };
  }

  archiveReader(): LogArchiveReader {
    return {
      url: 'memory://archive',
      list: async (prefix) =>
        [...this.objects.keys()]
          .filter((key) => key.startsWith(prefix))
          .sort()
          .map((key): ArchiveObject => ({ key, size: this.objects.get(key)!.length })),
      read: async (key) => this.objects.get(key),
      stream: (key) => chunks(this.objects.get(key)),
      openRows: async (keys) => {
        const files: ArchivedFile[] = keys.map((key) => {
          const bytes = this.objects.get(key);
          if (!bytes) return { key, present: false };
          const rows = this.parquet.get(key) ?? [];
          return {
            key,
            present: true,
            sha256: sha256(bytes),
            rows: rows.length,
            outsideLog: 0,
            columns: this.logColumns ? ['id VARCHAR', 'log_seq BIGINT', 'leaf_hash VARCHAR'] : ['id VARCHAR'],
            maxSeq: rows.length ? Math.max(...rows.map((r) => r.seq)) : null,
          };
        });
        const rows = keys
          .filter((key) => this.objects.has(key))
          .flatMap((key) => this.parquet.get(key) ?? [])
          .sort((a, b) => a.seq - b.seq || (a.key < b.key ? -1 : 1));
        return { files, rows: () => batches(rows, 2), close: async () => undefined };
      },
    };
  }

  #joined(entry: ModelEntry): LogEntry {
    const event = this.events.find((e) => e.id === entry.eventId && e.occurredAt === entry.occurredAt);
    return { ...entry, event: event && structuredClone(event) };
  }

  #unlogged(perMonth: number) {
    const months = new Map<string, { month: string; count: number; rows: UnloggedRow[] }>();
    let pending = 0;
    for (const event of this.events) {
      const entry = this.eventLog.find((e) => e.eventId === event.id);
      if (entry && entry.occurredAt === event.occurredAt) continue;
      if (!entry && this.pending.has(event.id)) {
        pending++;
        continue;
      }
      const month = event.occurredAt.slice(0, 7);
      const group = months.get(month) ?? { month, count: 0, rows: [] };
      months.set(month, group);
      group.count++;
      if (group.rows.length < perMonth)
        group.rows.push({ event, month, ...(entry && { logged: { seq: entry.seq, leafHash: entry.leafHash } }) });
    }
    return { pending, months: [...months.values()] };
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fileBytes(rows: readonly ArchivedRow[]): Buffer {
  return Buffer.from(JSON.stringify(rows));
}

async function* batches<T>(items: readonly T[], size = 2): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** An object in uneven chunks, so a leaf hash is split across two of them. */
async function* chunks(bytes: Buffer | undefined): AsyncGenerator<Buffer> {
  if (!bytes) return;
  for (let at = 0; at < bytes.length; at += 45) yield bytes.subarray(at, at + 45);
}
