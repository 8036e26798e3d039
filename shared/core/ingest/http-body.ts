/** Limits of one POST /events request, and of one device MQTT message (core/ingest/iot-message.ts). */
export const MAX_REQUEST_EVENTS = 1000;
export const MAX_REQUEST_BYTES = 1024 * 1024;

export type ParsedBody =
  | { ok: true; events: unknown[] }
  | { ok: false; status: 400 | 413 | 415; error: string; issues?: { index: number; path: string; message: string }[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/jsonlines',
]);

/** Reads one event, a JSON array of events, or NDJSON (one event per line) from a request body. */
export function parseEventsBody(contentType: string | undefined, body: Buffer): ParsedBody {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = JSON_TYPES.has(mediaType);
  if (!isJson && !NDJSON_TYPES.has(mediaType)) {
    return {
      ok: false,
      status: 415,
      error: `Content-Type "${contentType ?? '(none)'}" is not supported: send application/json (one event or an array) or application/x-ndjson (one event per line)`,
    };
  }
  if (body.length > MAX_REQUEST_BYTES) {
    return {
      ok: false,
      status: 413,
      error: `request body is ${body.length} bytes; the limit is ${MAX_REQUEST_BYTES} (1 MiB)`,
    };
  }
  let text: string;
  try {
    // Fatal: invalid bytes are refused, not replaced by U+FFFD (which would store text the client never sent).
    text = utf8.decode(body);
  } catch {
    return { ok: false, status: 400, error: `the body (${body.length} bytes) is not UTF-8 text: send JSON in UTF-8` };
  }
  const parsed = isJson ? parseJson(text) : parseNdjson(text);
  if (!parsed.ok) return parsed;
  if (parsed.events.length === 0) return { ok: false, status: 400, error: 'the request holds no events' };
  if (parsed.events.length > MAX_REQUEST_EVENTS) {
    return {
      ok: false,
      status: 413,
      error: `the request holds ${parsed.events.length} events; the limit is ${MAX_REQUEST_EVENTS}`,
    };
  }
  return parsed;
}

function parseJson(text: string): ParsedBody {
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, events: Array.isArray(value) ? value : [value] };
  } catch (error) {
    return { ok: false, status: 400, error: `the body is not valid JSON: ${(error as Error).message}` };
  }
}

function parseNdjson(text: string): ParsedBody {
  const events: unknown[] = [];
  const issues: { index: number; path: string; message: string }[] = [];
  const lines = text.split('\n');
  lines.forEach((line, lineIndex) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch (error) {
      issues.push({
        index: events.length + issues.length,
        path: `(line ${lineIndex + 1})`,
        message: `not valid JSON: ${(error as Error).message}`,
      });
    }
  });
  if (issues.length > 0) return { ok: false, status: 400, error: 'some NDJSON lines are not valid JSON', issues };
  return { ok: true, events };
}
