/**
 * Where the log's copies live in the archive (docs/tamper-evidence.md). Numbers are zero-padded to 20 digits, so keys
 * sort as numbers do and a listing is in log order.
 * - `log/checkpoints/<number>.json`: a SignedCheckpoint as JSON, one per checkpoint.
 * - `log/leaves/<first seq>.bin`: the leaf hashes a round sealed, 32 bytes each in seq order, from the previous
 *   checkpoint's tree size to the round's; a round that sealed nothing writes none.
 */
export const LOG_ARCHIVE_PREFIX = 'log/';
export const CHECKPOINTS_PREFIX = `${LOG_ARCHIVE_PREFIX}checkpoints/`;
export const LEAVES_PREFIX = `${LOG_ARCHIVE_PREFIX}leaves/`;

export function checkpointKey(number: number): string {
  return `${CHECKPOINTS_PREFIX}${padded(number)}.json`;
}

export function leavesKey(firstSeq: number): string {
  return `${LEAVES_PREFIX}${padded(firstSeq)}.bin`;
}

function padded(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a log number or seq`);
  return String(value).padStart(20, '0');
}
