import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SequencedEvent } from '../ports/streams.ts';

/** The headers of a webhook delivery (docs/sinks.md, "Verifying a webhook"). */
export const WEBHOOK_HEADERS = {
  /** Unix seconds when the request was signed. */
  timestamp: 'x-trail-timestamp',
  /** `v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`. */
  signature: 'x-trail-signature',
  /** `<sink>:<first seq>-<last seq>`: the same on a resend, so a receiver may drop a batch it already has. */
  delivery: 'x-trail-delivery',
} as const;

/** How far a signed timestamp may be from the receiver's clock before the request counts as a replay. */
export const WEBHOOK_REPLAY_WINDOW_SECONDS = 300;

/** The smallest webhook key accepted: 32 bytes, as for the cursor key. */
export const MIN_WEBHOOK_KEY_BYTES = 32;

/** A batch as the webhook's JSON body: `{"events": [{seq, ...storedEvent}, …]}`, in log order. */
export function webhookBody(events: readonly SequencedEvent[]): string {
  return JSON.stringify({ events: events.map(({ seq, event }) => ({ seq, ...event })) });
}

export function webhookSignature(key: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver checks (docs/sinks.md has the same code for receivers to copy): the signature over the timestamp
 * and the exact body bytes, compared in constant time, and a timestamp within the replay window of `nowSeconds`.
 */
export function verifyWebhook(options: {
  key: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds: number;
  windowSeconds?: number;
}): { valid: true } | { valid: false; reason: string } {
  const timestamp = Number(options.timestamp);
  if (!options.timestamp || !Number.isInteger(timestamp)) return { valid: false, reason: 'no timestamp' };
  if (Math.abs(options.nowSeconds - timestamp) > (options.windowSeconds ?? WEBHOOK_REPLAY_WINDOW_SECONDS))
    return { valid: false, reason: 'the timestamp is outside the replay window' };
  const expected = Buffer.from(webhookSignature(options.key, timestamp, options.body));
  const given = Buffer.from(options.signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { valid: false, reason: 'the signature does not match' };
  return { valid: true };
}
