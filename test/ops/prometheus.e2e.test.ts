import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { EMF_AS_PROMETHEUS, LOCAL_PROMETHEUS_METRICS } from '../../shared/core/contracts/prometheus.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { parseExposition, type Sample, sampleOf } from '../support/exposition.ts';
import { startTestStack } from '../support/local-stack.ts';
import { parseYaml } from '../support/yaml.ts';

const TOKEN = 'metrics-admin-token';
const ROOT = join(import.meta.dirname, '..', '..');

let db: TestDatabase;
let stack: LocalStack;

beforeAll(async () => {
  db = await createTestDatabase('ops_metrics');
  stack = await startTestStack(db.url, `${TOKEN}=mia:admin`, () => {}, 'r-17:metrics-secret');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

async function scrape(): Promise<{ samples: Sample[]; families: Map<string, string>; contentType: string }> {
  const response = await fetch(`${stack.httpUrl}/metrics`);
  expect(response.status).toBe(200);
  return { ...parseExposition(await response.text()), contentType: response.headers.get('content-type') ?? '' };
}

async function postEvents(events: unknown[]) {
  const response = await fetch(`${stack.httpUrl}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(202);
}

describe('GET /metrics on the local stack', () => {
  it('is served without a token in the Prometheus text format, every family named before anything happened', async () => {
    const { families, contentType } = await scrape();
    expect(contentType).toContain('text/plain');
    for (const spec of Object.values(EMF_AS_PROMETHEUS)) expect(families.get(spec.name), spec.name).toBe(spec.kind);
    for (const name of Object.values(LOCAL_PROMETHEUS_METRICS)) expect(families.has(name), name).toBe(true);
  });

  it('counts what the writer stored by severity and type, its invocations, the queues and rejected MQTT events', async () => {
    const before = (await scrape()).samples;
    const critical = (name: string, labels: Record<string, string>) => sampleOf(before, name, labels)?.value ?? 0;
    const criticalBefore = critical('trail_events_total', { severity: 'CRITICAL' });
    await postEvents([
      {
        type: 'controller.protocol.error',
        severity: 'CRITICAL',
        entity: { type: 'controller', id: 'plc-m' },
        payload: { protocol: 'modbus', error: 'bus' },
      },
      { type: 'robot.offline', entity: { type: 'robot', id: 'r-m' }, payload: {} },
      { type: 'robot.offline', entity: { type: 'robot', id: 'r-m2' }, payload: {} },
    ]);
    // An MQTT message ingest refuses: counted as RejectedEvents, as on AWS.
    const device = await mqtt.connectAsync(stack.mqttUrl, {
      clientId: 'r-17',
      username: 'r-17',
      password: 'metrics-secret',
      protocolVersion: 4,
    });
    await device.publishAsync('audit/r-17/events', '{"type":"no.such.type"}', { qos: 1 });
    await device.endAsync();
    await expect
      .poll(async () => sampleOf((await scrape()).samples, 'trail_ingest_rejected_events_total')?.value ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);

    expect(await stack.drain(10_000)).toBe(true);
    await expect
      .poll(async () => sampleOf((await scrape()).samples, 'trail_events_total', { severity: 'CRITICAL' })?.value, {
        timeout: 10_000,
      })
      .toBe(criticalBefore + 1);
    const { samples } = await scrape();
    expect(sampleOf(samples, 'trail_events_by_type_total', { type: 'robot.offline' })?.value).toBe(2);
    expect(sampleOf(samples, 'trail_events_total', { severity: 'WARNING' })?.value).toBeGreaterThanOrEqual(2);
    expect(sampleOf(samples, 'trail_writer_duration_seconds_count')?.value).toBeGreaterThan(0);
    expect(sampleOf(samples, 'trail_writer_invocations_total', { outcome: 'ok' })?.value).toBeGreaterThan(0);
    expect(sampleOf(samples, 'trail_queue_messages', { queue: 'events', state: 'visible' })?.value).toBe(0);
    expect(sampleOf(samples, 'trail_queue_messages', { queue: 'dead-letters', state: 'visible' })?.value).toBe(0);
    expect(sampleOf(samples, 'trail_queue_oldest_message_age_seconds', { queue: 'events' })?.value).toBe(0);
  });

  it("reports the sealer thread's rounds and the maintenance run (started with the stack)", async () => {
    const round = await stack.sealNow();
    const { samples } = await scrape();
    expect(sampleOf(samples, 'trail_checkpoint_number', { service: 'sealer' })?.value).toBeGreaterThanOrEqual(
      round.checkpoint.body.number,
    );
    expect(sampleOf(samples, 'trail_events_sealed_total', { service: 'sealer' })?.value).toBeGreaterThanOrEqual(3);
    await expect
      .poll(
        async () =>
          sampleOf((await scrape()).samples, 'trail_maintenance_runs_total', { service: 'maintenance' })?.value ?? 0,
        { timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(1);
    const next = sampleOf((await scrape()).samples, 'trail_maintenance_next_run_timestamp_seconds')?.value ?? 0;
    expect(next * 1000).toBeGreaterThan(Date.now());
  });

  it('has every metric the Grafana dashboard and the alert rules query', async () => {
    const { samples, families } = await scrape();
    const exposed = new Set([...families.keys(), ...samples.map((sample) => sample.name)]);
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/trail-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const rules = parseYaml(readFileSync(join(ROOT, 'ops/prometheus/trail-alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const expressions = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
      ...rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
    ];
    const named = expressions.flatMap((expr) => expr.match(/\btrail_[a-z_]+/g) ?? []);
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((name) => !exposed.has(name))).toEqual([]);
  });
});
