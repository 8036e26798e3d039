import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, MAX_REQUEST_EVENTS, parseEventsBody } from '../../shared/core/ingest/http-body.ts';

const one = { type: 'robot.online', entity: { type: 'robot', id: 'r-1' } };
const two = { type: 'robot.offline', entity: { type: 'robot', id: 'r-1' }, payload: { reason: 'x' } };
const body = (text: string) => Buffer.from(text, 'utf8');

describe('parseEventsBody: JSON', () => {
  it('one event', () => {
    expect(parseEventsBody('application/json', body(JSON.stringify(one)))).toEqual({ ok: true, events: [one] });
  });

  it('an array of events, in order', () => {
    expect(parseEventsBody('application/json', body(JSON.stringify([one, two])))).toEqual({
      ok: true,
      events: [one, two],
    });
  });

  it('accepts a charset parameter and any case', () => {
    expect(parseEventsBody('application/json; charset=utf-8', body(JSON.stringify(one))).ok).toBe(true);
    expect(parseEventsBody('Application/JSON;charset=UTF-8', body(JSON.stringify(one))).ok).toBe(true);
  });

  it('invalid JSON → 400 saying so', () => {
    const result = parseEventsBody('application/json', body('{"type": "robot.online",'));
    expect(result).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/not valid JSON/) });
  });

  it('an empty body or empty array → 400', () => {
    expect(parseEventsBody('application/json', body(''))).toMatchObject({ ok: false, status: 400 });
    expect(parseEventsBody('application/json', body('[]'))).toMatchObject({
      ok: false,
      status: 400,
      error: 'the request holds no events',
    });
  });

  it('non-object values are passed on for validation to refuse, not thrown', () => {
    expect(parseEventsBody('application/json', body('null'))).toEqual({ ok: true, events: [null] });
    expect(parseEventsBody('application/json', body('"x"'))).toEqual({ ok: true, events: ['x'] });
  });
});

describe('parseEventsBody: NDJSON', () => {
  it('one event per line; blank lines and CRLF are fine', () => {
    const text = `${JSON.stringify(one)}\r\n\n   \n${JSON.stringify(two)}\n`;
    expect(parseEventsBody('application/x-ndjson', body(text))).toEqual({ ok: true, events: [one, two] });
  });

  it.each(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-ndjson; charset=utf-8'])(
    'accepts %s',
    (contentType) => {
      expect(parseEventsBody(contentType, body(JSON.stringify(one)))).toEqual({ ok: true, events: [one] });
    },
  );

  it('a bad line is reported with its line number', () => {
    const text = [JSON.stringify(one), '', '{"type": oops}', JSON.stringify(two), 'also bad'].join('\n');
    const result = parseEventsBody('application/x-ndjson', body(text));
    expect(result).toMatchObject({ ok: false, status: 400 });
    if (result.ok) return;
    expect(result.issues?.map((i) => i.path)).toEqual(['(line 3)', '(line 5)']);
    expect(result.issues?.[0]?.message).toMatch(/not valid JSON/);
  });

  it('only blank lines → 400 no events', () => {
    expect(parseEventsBody('application/x-ndjson', body('\n\n  \n'))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('parseEventsBody: content types', () => {
  it.each([undefined, '', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx'])(
    '415 for %s',
    (contentType) => {
      const result = parseEventsBody(contentType, body(JSON.stringify(one)));
      expect(result).toMatchObject({ ok: false, status: 415, error: expect.stringMatching(/application\/json/) });
    },
  );

  it('the 415 message names the type that was sent', () => {
    expect(parseEventsBody('text/csv', body('a,b'))).toMatchObject({ error: expect.stringContaining('text/csv') });
    expect(parseEventsBody(undefined, body('{}'))).toMatchObject({ error: expect.stringContaining('(none)') });
  });
});

describe('parseEventsBody: limits', () => {
  it('413 over 1 MiB', () => {
    const big = [{ ...one, payload: { blob: 'x'.repeat(MAX_REQUEST_BYTES) } }];
    const result = parseEventsBody('application/json', body(JSON.stringify(big)));
    expect(result).toMatchObject({ ok: false, status: 413, error: expect.stringMatching(/1 MiB/) });
  });

  it('exactly 1 MiB is accepted', () => {
    const padded = JSON.stringify([one]).padEnd(MAX_REQUEST_BYTES, ' ');
    expect(Buffer.byteLength(padded)).toBe(MAX_REQUEST_BYTES);
    expect(parseEventsBody('application/json', body(padded))).toEqual({ ok: true, events: [one] });
  });

  it('1000 events are accepted; 1001 → 413', () => {
    const at = (n: number) => JSON.stringify(Array.from({ length: n }, () => one));
    expect(MAX_REQUEST_EVENTS).toBe(1000);
    const ok = parseEventsBody('application/json', body(at(1000)));
    expect(ok.ok && ok.events.length).toBe(1000);
    expect(parseEventsBody('application/json', body(at(1001)))).toMatchObject({
      ok: false,
      status: 413,
      error: expect.stringContaining('1001'),
    });
  });

  it('1001 NDJSON lines → 413', () => {
    const text = Array.from({ length: 1001 }, () => JSON.stringify(one)).join('\n');
    expect(parseEventsBody('application/x-ndjson', body(text))).toMatchObject({ ok: false, status: 413 });
  });
});
