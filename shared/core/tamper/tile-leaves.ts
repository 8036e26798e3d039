import type { ArchiveObject } from '../ports/log-audit.ts';
import { LEAVES_PREFIX, leavesKey } from './archive-keys.ts';
import type { PassFindings } from './findings.ts';
import { HASH_BYTES } from './merkle.ts';

/** One leaf hash of the archive's copies, with the object it came from. */
export interface TileLeaf {
  seq: number;
  hash: Buffer;
  key: string;
}

const KEY_PATTERN = new RegExp(`^${LEAVES_PREFIX}(\\d{20})\\.bin$`);
/** Leaves handed on per batch. */
const BATCH = 4096;

/**
 * The archive's leaf hashes in seq order, object after object (`log/leaves/<first seq>.bin`, 32 bytes a leaf), read
 * as streams: an object may hold a large round's leaves. Each object must start where the one before ended: a gap is
 * a finding (missing leaves) unless it is at the tail whose copies are not due yet, an overlap is (a second object
 * for seqs that have one; its overlapping part is not used), and so is an object that is not whole hashes.
 */
export async function* tileLeaves(
  objects: readonly ArchiveObject[],
  stream: (key: string) => AsyncIterable<Buffer>,
  found: PassFindings,
  dueBelow: number,
): AsyncGenerator<TileLeaf[]> {
  let end = 0;
  for (const { key, size } of objects) {
    const match = KEY_PATTERN.exec(key);
    if (!match) {
      found.push({ kind: 'archive-file-replaced', key, message: 'is not named as a leaves copy is: not the sealer’s' });
      continue;
    }
    const first = Number(match[1]);
    if (first > end) reportGap(end, first, dueBelow, found);
    if (first < end)
      found.push({
        kind: 'archive-file-replaced',
        key,
        seqs: { from: first, to: Math.min(end, first + Math.floor(size / HASH_BYTES)) - 1 },
        message: 'holds leaves for seqs another leaves copy already has: not the sealer’s',
      });
    if (size % HASH_BYTES !== 0)
      found.push({ kind: 'archive-file-replaced', key, message: `is ${size} bytes, not whole 32-byte leaf hashes` });
    let seq = first;
    let batch: TileLeaf[] = [];
    let carry = Buffer.alloc(0);
    for await (const chunk of stream(key)) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const whole = bytes.length - (bytes.length % HASH_BYTES);
      for (let at = 0; at < whole; at += HASH_BYTES, seq++) {
        if (seq < end) continue;
        batch.push({ seq, hash: bytes.subarray(at, at + HASH_BYTES), key });
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      carry = Buffer.from(bytes.subarray(whole));
    }
    if (batch.length > 0) yield batch;
    end = Math.max(end, seq);
  }
  if (end < dueBelow) reportGap(end, dueBelow, dueBelow, found);
}

function reportGap(from: number, to: number, dueBelow: number, found: PassFindings): void {
  const last = Math.min(to, dueBelow) - 1;
  if (last < from) return;
  found.push({
    kind: 'archive-file-replaced',
    key: leavesKey(from),
    seqs: { from, to: last },
    message: `is missing: the archive has no leaves for seqs ${from}..${last}`,
  });
}
