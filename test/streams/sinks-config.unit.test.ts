import { describe, expect, it } from 'vitest';
import { loadLocalConfig, loadStartConfig } from '../../shared/apps/local/config.ts';
import { backoffMs, resultOfStatus } from '../../shared/core/streams/delivery.ts';
import { parseSinks } from '../../shared/core/streams/sinks.ts';

describe('SINKS', () => {
  it('parses kind=url and kind:name=url entries, in order', () => {
    expect(
      parseSinks('otlp=http://127.0.0.1:4318, webhook=https://siem.example/hook,splunk:soc=https://hec.example:8088'),
    ).toEqual([
      { name: 'otlp', kind: 'otlp', url: 'http://127.0.0.1:4318' },
      { name: 'webhook', kind: 'webhook', url: 'https://siem.example/hook' },
      { name: 'soc', kind: 'splunk', url: 'https://hec.example:8088' },
    ]);
    expect(parseSinks(undefined)).toEqual([]);
    expect(parseSinks('')).toEqual([]);
  });

  it('refuses unknown kinds, bad URLs, bad names and two sinks of one name, naming each entry', () => {
    expect(() => parseSinks('kafka=http://x')).toThrow(/"kafka=http:\/\/x": kind/);
    expect(() => parseSinks('webhook=ftp://x')).toThrow(/must be an http/);
    expect(() => parseSinks('webhook:Bad Name=https://x')).toThrow(/a sink name is/);
    expect(() => parseSinks('webhook=https://a,webhook=https://b')).toThrow(/already named webhook/);
    expect(() => parseSinks('otlp')).toThrow(/is not kind\[:name\]=url/);
  });

  it('npm start fails fast naming SINKS', () => {
    expect(loadLocalConfig({ SINKS: 'otlp=http://127.0.0.1:4318' }).SINKS).toHaveLength(1);
    expect(() => loadStartConfig({ SINKS: 'otlp=nope' })).toThrow(/SINKS is invalid \(.*otlp=nope.*\): the sinks/);
  });
});

describe('delivery results and backoff', () => {
  it('retries 5xx, 429 and the 4xx that mean the sink is not ready; refuses the others for good', () => {
    expect(resultOfStatus(204)).toEqual({ ok: true });
    for (const status of [500, 502, 503, 429, 408, 401, 403, 404])
      expect([status, resultOfStatus(status)]).toMatchObject([status, { ok: false, retry: true }]);
    for (const status of [400, 413, 422])
      expect([status, resultOfStatus(status, 'bad')]).toMatchObject([status, { ok: false, retry: false }]);
    expect(resultOfStatus(400, 'x'.repeat(2000))).toMatchObject({ reason: `HTTP 400: ${'x'.repeat(500)}` });
  });

  it('backs off exponentially from 1 s to 5 min, up to 20 % less at random', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(30, 0)).toBe(300_000);
    expect(backoffMs(1, 0.999)).toBe(800);
  });
});
