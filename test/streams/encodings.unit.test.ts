import { describe, expect, it } from 'vitest';
import { otlpResource } from '../../shared/adapters/otlp/log-records.ts';
import { encodeOtlpLogs, otlpLogsUrl } from '../../shared/adapters/otlp/otlp-client.ts';
import { SPLUNK_SOURCETYPE, splunkHecBody } from '../../shared/core/streams/splunk.ts';
import { verifyWebhook, webhookBody, webhookSignature } from '../../shared/core/streams/webhook.ts';
import { storedEvent } from '../support/events.ts';
import { decodeLogsRequest } from '../support/otlp-protobuf.ts';

const traced = storedEvent({
  id: '0196b3a0-0000-7000-8000-000000000042',
  type: 'sensor.threshold.breached',
  severity: 'WARNING',
  occurredAt: '2026-05-10T12:00:00.123Z',
  receivedAt: '2026-05-10T12:00:01.456Z',
  entity: { type: 'sensor', id: 't-3' },
  related: [{ type: 'container', id: 'c-9' }],
  actor: { type: 'device', id: 't-3' },
  source: { channel: 'iot', principal: 't-3', clientId: 't-3' },
  payload: { metric: 'temperature', value: 9.5, threshold: 8, tags: ['cold'] },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
});
const plain = storedEvent({ severity: 'CRITICAL' });
const batch = [
  { seq: 7, event: traced },
  { seq: 8, event: plain },
];
const resource = otlpResource('fleet-audit-test');

/** The OTLP JSON body as parsed JSON. */
const otlpJson = () => JSON.parse(new TextDecoder().decode(encodeOtlpLogs(batch, 'json', resource)));

describe('OTLP/HTTP logs', () => {
  it('maps an event to a LogRecord as the OTLP JSON mapping spells it: string nanos, hex ids, eventName = type', () => {
    const body = otlpJson();
    expect(body.resourceLogs).toHaveLength(1);
    const [resourceLogs] = body.resourceLogs;
    expect(resourceLogs.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'fleet-audit-test' } },
    ]);
    expect(resourceLogs.scopeLogs[0].scope).toEqual({ name: 'fleet-audit-trail/forwarder', version: '1' });
    const [record, second] = resourceLogs.scopeLogs[0].logRecords;
    expect(record).toMatchObject({
      timeUnixNano: '1778414400123000000',
      observedTimeUnixNano: '1778414401456000000',
      severityNumber: 13,
      severityText: 'WARNING',
      eventName: 'sensor.threshold.breached',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      body: { stringValue: 'sensor.threshold.breached sensor:t-3' },
    });
    const attributes = Object.fromEntries(
      record.attributes.map((a: { key: string; value: unknown }) => [a.key, a.value]),
    );
    expect(attributes).toMatchObject({
      'event.id': { stringValue: traced.id },
      'event.seq': { intValue: 7 },
      'entity.type': { stringValue: 'sensor' },
      'entity.id': { stringValue: 't-3' },
      related: { arrayValue: { values: [{ stringValue: 'container:c-9' }] } },
      'actor.type': { stringValue: 'device' },
      'actor.id': { stringValue: 't-3' },
      'source.channel': { stringValue: 'iot' },
      'source.principal': { stringValue: 't-3' },
      'source.client_id': { stringValue: 't-3' },
    });
    expect(attributes.payload.kvlistValue.values).toContainEqual({ key: 'value', value: { doubleValue: 9.5 } });
    expect(second).toMatchObject({ severityNumber: 21, severityText: 'CRITICAL' });
    // No trace context on the event, none on the record.
    expect(second.traceId).toBeUndefined();
    expect(second.spanId).toBeUndefined();
  });

  it('the protobuf body decodes back to the same records', () => {
    const decoded = decodeLogsRequest(encodeOtlpLogs(batch, 'protobuf', resource));
    const json = otlpJson();
    const [record, second] = decoded.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    const [jsonRecord] = json.resourceLogs[0].scopeLogs[0].logRecords;
    for (const field of ['timeUnixNano', 'observedTimeUnixNano', 'severityNumber', 'severityText', 'eventName'])
      expect([field, record?.[field as keyof typeof record]]).toEqual([field, jsonRecord[field]]);
    expect(record?.traceId).toBe(traced.traceId);
    expect(record?.spanId).toBe(traced.spanId);
    expect(second?.traceId).toBeUndefined();
    const attributes = Object.fromEntries(record!.attributes.map((a) => [a.key, a.value]));
    expect(attributes['event.id']).toEqual({ stringValue: traced.id });
    expect(attributes['event.seq']).toEqual({ intValue: '7' });
    expect(decoded.resourceLogs[0]?.resource.attributes).toEqual(json.resourceLogs[0].resource.attributes);
    expect(decoded.resourceLogs[0]?.scopeLogs[0]?.scope).toEqual(json.resourceLogs[0].scopeLogs[0].scope);
  });

  it('posts to <base>/v1/logs, or to the URL as given when it names that path', () => {
    expect(otlpLogsUrl('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318/v1/logs');
    expect(otlpLogsUrl('https://collector.example/otlp/')).toBe('https://collector.example/otlp/v1/logs');
    expect(otlpLogsUrl('https://collector.example/v1/logs')).toBe('https://collector.example/v1/logs');
  });
});

describe('Splunk HEC', () => {
  it('one HEC event per line: time in epoch seconds, host, source, sourcetype, the event with its seq', () => {
    const lines = splunkHecBody(batch)
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      time: 1778414400.123,
      host: 't-3',
      source: 'fleet-audit-trail',
      sourcetype: SPLUNK_SOURCETYPE,
      event: { seq: 7, ...traced },
    });
  });
});

describe('the webhook signature', () => {
  const key = 'a-webhook-key-of-at-least-32-bytes!!';
  const body = webhookBody(batch);
  const now = 1_800_000_000;
  const signed = { key, body, timestamp: String(now), signature: webhookSignature(key, now, body) };

  it('verifies the exact body and timestamp it was made for', () => {
    expect(verifyWebhook({ ...signed, nowSeconds: now + 10 })).toEqual({ valid: true });
    expect(JSON.parse(body).events.map((e: { seq: number }) => e.seq)).toEqual([7, 8]);
  });

  it('refuses another body, another key, a changed timestamp and a replay outside the window', () => {
    expect(verifyWebhook({ ...signed, body: body.replace('t-3', 't-4'), nowSeconds: now })).toMatchObject({
      valid: false,
      reason: 'the signature does not match',
    });
    expect(verifyWebhook({ ...signed, key: `${key}x`, nowSeconds: now }).valid).toBe(false);
    expect(verifyWebhook({ ...signed, timestamp: String(now + 1), nowSeconds: now }).valid).toBe(false);
    expect(verifyWebhook({ ...signed, nowSeconds: now + 301 })).toMatchObject({
      valid: false,
      reason: 'the timestamp is outside the replay window',
    });
    expect(verifyWebhook({ ...signed, timestamp: undefined, nowSeconds: now }).valid).toBe(false);
  });
});
