import { type DeliveryResult, resultOfStatus } from '../../core/streams/delivery.ts';

/** A sink that has not answered in this long is treated as down: retried later, not counted as delivered. */
export const SINK_TIMEOUT_MS = 15_000;

/**
 * POSTs one body and says what the sink made of it: its status as a delivery result (core/streams/delivery.ts), a
 * network error or a timeout as retryable. The response body is read (and kept short) for the reason.
 */
export async function postToSink(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  timeoutMs = SINK_TIMEOUT_MS,
): Promise<DeliveryResult> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return { ok: false, retry: true, reason: `${new URL(url).host} did not answer: ${why}` };
  }
  const text = await response.text().catch(() => '');
  return resultOfStatus(response.status, text.trim());
}
