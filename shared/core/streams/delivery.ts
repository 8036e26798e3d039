/** What a sink answered to one delivery. */
export type DeliveryResult =
  | { ok: true }
  /** `retry`: the sink may take it later (5xx, 429, 408, a network error, a timeout); else it refused it for good. */
  | { ok: false; retry: boolean; reason: string };

/**
 * 4xx statuses that say the sink, or how it is configured, is not ready (a wrong token or URL, a proxy's login, a
 * timeout, slow down), not that the event is wrong: retried, never dead-lettered. Dead-lettering them would set
 * every event of the stream aside, one by one, until someone fixed the token.
 */
const RETRIED_4XX = new Set([401, 403, 404, 407, 408, 425, 429]);

/**
 * An HTTP status as a delivery result: 2xx delivered; 5xx and RETRIED_4XX worth retrying; any other status (400,
 * 413, 422…) the sink's refusal of that body, which sending it again cannot change.
 */
export function resultOfStatus(status: number, detail = ''): DeliveryResult {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = `HTTP ${status}${detail ? `: ${detail.slice(0, 500)}` : ''}`;
  return { ok: false, retry: status >= 500 || status < 400 || RETRIED_4XX.has(status), reason };
}

/** The first wait after a failure, and the longest: the forwarder backs off exponentially between them. */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 5 * 60 * 1000;

/**
 * How long to wait after the `failures`-th failure in a row: 1 s, 2 s, 4 s, … up to 5 min, each with up to 20 %
 * taken off at random (`random` in [0, 1)), so forwarders that failed together do not retry together.
 */
export function backoffMs(failures: number, random: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 20);
  const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** exponent);
  return Math.round(wait * (1 - 0.2 * random));
}
