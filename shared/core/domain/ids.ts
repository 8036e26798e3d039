import { randomFillSync, randomInt } from 'node:crypto';
import { v7 } from 'uuid';

/** The millisecond of the last id made and its counter. */
const last = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };
/** The counter is 32 bits; each new millisecond seeds it below 2^31, so at least 2^31 ids fit in one millisecond. */
const SEQ_SEED_LIMIT = 2 ** 31;
const SEQ_LIMIT = 2 ** 32;

/**
 * RFC 9562 UUIDv7, laid out by `uuid`'s v7: 48-bit Unix milliseconds, a 32-bit counter (RFC 9562 §6.2 method 1:
 * seeded at random in each new millisecond, incremented for each further id of that millisecond), then random bits.
 * Ids sort by their milliseconds, and ids made in one millisecond in the order they were made: all the events of
 * one request, stamped with its receive time, sort as the request listed them.
 *
 * `nowMs` is the instant the id carries (not clamped: a clock that steps back, or another request's earlier receive
 * time, starts a new counter there). `uuid`'s own counter cannot serve: it holds only with its own clock, not a
 * given time.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs === last.msecs) {
    last.seq++;
    if (last.seq >= SEQ_LIMIT) throw new RangeError(`the UUIDv7 counter of millisecond ${nowMs} is exhausted`);
  } else {
    last.msecs = nowMs;
    last.seq = randomInt(SEQ_SEED_LIMIT);
  }
  return v7({ msecs: nowMs, seq: last.seq, random: randomBytes16() });
}

/**
 * 16 random bytes from a pool filled 4 KiB at a time: `uuid` would call `crypto.getRandomValues` per id, which cost
 * ~9 µs an id on the ingest path (profiled in bench, part e2e); the bytes are the same CSPRNG's.
 */
const pool = new Uint8Array(4096);
let poolOffset = pool.length;
function randomBytes16(): Uint8Array {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return bytes;
}
