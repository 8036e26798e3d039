import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { readDeadLetter } from '../../shared/core/writer/dead-letter.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';

const ADMIN = 'admin-token-e2e';
const AUDITOR = 'auditor-token-e2e';
const DEVICE = 'device-token-e2e';
/** The devices the embedded broker lets connect (LOCAL_DEVICES): username and client id = thing, password = secret. */
const THINGS = ['r-17', 'r-18', 'r-19', 'floor-dashboard'];
const secretOf = (thing: string) => `${thing}-e2e-secret`;
const asDevice = (thing: string, options: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(stack.mqttUrl, {
    clientId: thing,
    username: thing,
    password: secretOf(thing),
    protocolVersion: 4,
    ...options,
  });
/** The identity source (the IdP bridge): the only one that may post user.* identity events. */
const IDENTITY = 'identity-token-e2e';

let db: TestDatabase;
let stack: LocalStack;
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_local_stack');
  stack = await startTestStack(
    db.url,
    `${ADMIN}=alice:admin,${AUDITOR}=audra:auditor,${DEVICE}=plc-1:device,${IDENTITY}=idp:identity`,
    (message) => logs.push(message),
    THINGS.map((thing) => `${thing}:${secretOf(thing)}`).join(','),
  );
});

afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

function post(body: string, { token = ADMIN, contentType = 'application/json' } = {}) {
  return fetch(`${stack.httpUrl}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
}

async function list(query: string, token = AUDITOR): Promise<{ events: StoredEvent[]; next: string | null }> {
  const response = await fetch(`${stack.httpUrl}/events?${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as { events: StoredEvent[]; next: string | null };
}

/** Reads until `count` events match (the writer drains the queue asynchronously). */
async function listUntil(query: string, count: number): Promise<StoredEvent[]> {
  await stack.drain(15_000);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { events } = await list(query);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Events stored, not counting the audit.* records (reads, API requests) that the test's own requests add. */
async function storedCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE type NOT LIKE 'audit.%'");
  return Number(rows[0]!.n);
}

describe('local stack: HTTP ingest', () => {
  it('accepts one event, stamps the actor from the token, and reads it back', async () => {
    const response = await post(
      JSON.stringify({
        type: 'robot.online',
        entity: { type: 'robot', id: 'http-1' },
        occurredAt: '2026-03-01T10:00:00+01:00',
        payload: { reason: 'boot' },
      }),
    );
    expect(response.status).toBe(202);
    const { accepted, ids } = (await response.json()) as { accepted: number; ids: string[] };
    expect(accepted).toBe(1);

    const [event] = await listUntil('entity=robot:http-1&since=2026-01-01T00:00:00Z', 1);
    expect(event).toMatchObject({
      id: ids[0],
      type: 'robot.online',
      severity: 'INFO',
      occurredAt: '2026-03-01T09:00:00.000Z',
      actor: { type: 'user', id: 'alice' },
      source: { channel: 'http', principal: 'alice' },
      payload: { reason: 'boot' },
    });
    expect(Date.parse(event!.receivedAt)).toBeGreaterThan(Date.parse('2026-01-01'));
  });

  it('stores emoji and other characters above U+FFFF end to end (fauxqs refuses them raw), and refuses the unstorable with 400', async () => {
    const payload = { reason: 'boot 🚀', '👩‍🔧': ['\u{1D11E}', '\u{10FFFD}', 'é\uFFFD\u0001'] };
    const response = await post(
      JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'r-😀' }, payload }),
    );
    expect(response.status).toBe(202);
    const [event] = await listUntil(`entity=${encodeURIComponent('robot:r-😀')}`, 1);
    expect(event).toMatchObject({ entity: { type: 'robot', id: 'r-😀' }, payload });

    const nul = await post('{"type":"robot.online","entity":{"type":"robot","id":"r-1"},"payload":{"x":"\\u0000"}}');
    expect(nul.status).toBe(400);
    expect(await nul.json()).toMatchObject({
      issues: [{ index: 0, path: 'payload.x', message: expect.stringMatching(/NUL/) }],
    });
    const deep = await post(
      `{"type":"robot.online","entity":{"type":"robot","id":"r-1"},"payload":{"d":${'['.repeat(6000)}${']'.repeat(6000)}}}`,
    );
    expect(deep.status).toBe(400);
  });

  it('accepts a JSON array and NDJSON, keeping each entity in order, newest first on read', async () => {
    const events = Array.from({ length: 30 }, (_, i) => ({
      type: 'sensor.battery.low',
      entity: { type: 'sensor', id: 'batt-1' },
      occurredAt: new Date(Date.UTC(2026, 3, 1, 0, i)).toISOString(),
      payload: { level: 30 - i },
    }));
    expect((await post(JSON.stringify(events.slice(0, 15)))).status).toBe(202);
    const ndjson = events
      .slice(15)
      .map((e) => JSON.stringify(e))
      .join('\n');
    expect((await post(ndjson, { contentType: 'application/x-ndjson' })).status).toBe(202);

    const stored = await listUntil(
      'entity=sensor:batt-1&since=2026-04-01T00:00:00Z&until=2026-04-02T00:00:00Z&limit=100',
      30,
    );
    expect(stored.map((e) => e.payload.level)).toEqual(events.map((e) => e.payload.level).reverse());
    expect(stored.every((e) => e.severity === 'WARNING')).toBe(true);
  });

  it('stores each event in its UTC calendar month partition', async () => {
    const response = await post(
      JSON.stringify({
        type: 'container.moved',
        entity: { type: 'container', id: 'c-9' },
        occurredAt: '2026-05-31T23:30:00-02:00',
        payload: { toBay: 'B-4' },
      }),
    );
    const { ids } = (await response.json()) as { ids: string[] };
    await listUntil('entity=container:c-9&since=2026-05-01T00:00:00Z', 1);
    const { rows } = await db.pool.query<{ partition: string }>(
      'SELECT tableoid::regclass::text AS partition FROM events WHERE id = $1',
      [ids[0]],
    );
    expect(rows).toEqual([{ partition: 'events_2026_06' }]);
  });

  it('refuses bad input with a clear 4xx and stores nothing from it', async () => {
    await stack.drain();
    const before = await storedCount();

    const invalid = await post(
      JSON.stringify([
        { type: 'robot.online', entity: { type: 'robot', id: 'ok-1' } },
        { type: 'sensor.battery.low', entity: { type: 'sensor', id: 's-1' }, payload: { level: 'low' } },
        { type: 'no.such.type', entity: { type: 'robot', id: 'r-1' } },
        { type: 'robot.online', entity: { type: 'robot', id: 'r-1' }, actor: { type: 'user', id: 'mallory' } },
      ]),
    );
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { issues: { index: number; path: string; message: string }[] };
    expect(body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, path: 'payload.level' }),
        expect.objectContaining({ index: 2, path: 'type', message: expect.stringContaining('unknown event type') }),
        expect.objectContaining({ index: 3, path: 'actor' }),
      ]),
    );
    expect(body.issues.some((issue) => issue.index === 0)).toBe(false);

    expect((await post('{not json')).status).toBe(400);
    expect((await post('type=robot.online', { contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(
      (
        await post(JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'x' } }), {
          token: 'wrong-token',
        })
      ).status,
    ).toBe(401);
    expect(
      (await post(JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'x' } }), { token: DEVICE }))
        .status,
    ).toBe(403);
    expect((await post(`[${Array.from({ length: 1001 }, () => '{}').join(',')}]`)).status).toBe(413);

    const badQuery = await fetch(`${stack.httpUrl}/events?severity=LOUD`, {
      headers: { authorization: `Bearer ${AUDITOR}` },
    });
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toMatchObject({ parameter: 'severity' });

    await stack.drain();
    expect(await storedCount()).toBe(before);
  });

  it("stores the query API's own audit.accessed records (internal channel); no client may post one", async () => {
    const forged = { type: 'audit.accessed', entity: { type: 'user', id: 'carol' }, payload: { route: 'GET /events' } };
    const refused = await post(JSON.stringify(forged));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ issues: [{ index: 0, path: 'type' }] });

    await list('entity=robot:http-1&since=2026-01-01T00:00:00Z');
    const [record] = await listUntil('entity=user:audra&type=audit.accessed&limit=1', 1);
    expect(record).toMatchObject({
      type: 'audit.accessed',
      actor: { type: 'user', id: 'audra' },
      source: { channel: 'internal', principal: 'audra' },
      payload: { route: 'GET /events' },
    });
    await stack.drain();
    const { rowCount } = await db.pool.query(
      "SELECT 1 FROM events WHERE type = 'audit.accessed' AND entity_id = 'carol'",
    );
    expect(rowCount).toBe(0);
  });

  it('treats a resent event id as the same event (idempotent)', async () => {
    const event = {
      id: '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
      type: 'user.login',
      entity: { type: 'user', id: 'bob' },
      occurredAt: '2026-02-02T08:00:00Z',
    };
    expect((await post(JSON.stringify(event), { token: IDENTITY })).status).toBe(202);
    await stack.drain();
    expect((await post(JSON.stringify(event), { token: IDENTITY })).status).toBe(202);
    const stored = await listUntil('entity=user:bob&since=2026-02-01T00:00:00Z', 1);
    await stack.drain();
    expect((await list('entity=user:bob&since=2026-02-01T00:00:00Z')).events).toHaveLength(1);
    expect(stored[0]!.id).toBe(event.id);
  });

  it('answers 202 for another event under a used id, then parks it in the DLQ with the reason; the first stays', async () => {
    const first = {
      id: '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a3c',
      type: 'user.login',
      entity: { type: 'user', id: 'carol' },
      occurredAt: '2026-02-03T08:00:00Z',
    };
    expect((await post(JSON.stringify(first), { token: IDENTITY })).status).toBe(202);
    await stack.drain();
    // Ingest cannot know the id is taken (it does not reach the database): the writer refuses it.
    const reused = { ...first, entity: { type: 'user', id: 'dave' }, occurredAt: '2026-02-04T08:00:00Z' };
    expect((await post(JSON.stringify(reused), { token: IDENTITY })).status).toBe(202);
    await stack.drain();

    const sqs = new SQSClient({
      // fauxqs names queues http://sqs.<region>.127.0.0.1:<port>/…, which WHATWG URL refuses: take the port.
      endpoint: `http://127.0.0.1:${/:(\d+)\//.exec(stack.deadLetterQueueUrl)![1]}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    sqs.destroy();
    const letters = Messages.map((m) => readDeadLetter(m.Body!));
    expect(letters).toContainEqual(
      expect.objectContaining({
        kind: 'event',
        sqlState: '23505',
        groupId: 'user:dave',
        reason: expect.stringMatching(
          /^id 0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a3c is already stored with different content \(the stored event occurred at 2026-02-03T08:00:00.000Z\)/,
        ),
        event: expect.objectContaining({ id: first.id, entity: { type: 'user', id: 'dave' } }),
      }),
    );
    const { rows } = await db.pool.query('SELECT entity_id FROM events WHERE id = $1', [first.id]);
    expect(rows).toEqual([{ entity_id: 'carol' }]);
  });
});

describe('local stack: MQTT ingest', () => {
  it('stores what a device publishes on its own topic, with the thing as actor and source', async () => {
    const device = await asDevice('r-17');
    try {
      await device.publishAsync(
        'audit/r-17/events',
        JSON.stringify({
          type: 'sensor.threshold.breached',
          entity: { type: 'sensor', id: 't-3' },
          related: [{ type: 'robot', id: 'r-17' }],
          payload: { metric: 'temp', value: 9.5, threshold: 8, unit: 'C' },
        }),
        { qos: 1 },
      );
      await device.publishAsync(
        'audit/r-17/events',
        JSON.stringify({
          events: [{ type: 'robot.offline', entity: { type: 'robot', id: 'r-17' }, payload: { reason: 'power' } }],
        }),
        { qos: 1 },
      );
    } finally {
      await device.endAsync();
    }
    const events = await listUntil('entity=robot:r-17&since=1h', 2);
    expect(events.map((e) => e.type).sort()).toEqual(['robot.offline', 'sensor.threshold.breached']);
    for (const event of events) {
      expect(event.actor).toEqual({ type: 'device', id: 'r-17' });
      // The client id is the publishing connection's, as clientid() gives it on AWS.
      expect(event.source).toEqual({ channel: 'iot', principal: 'r-17', clientId: 'r-17' });
    }
  });

  it('refuses a client that proves no thing: no credentials, another thing’s secret, another client id', async () => {
    const attempt = (options: mqtt.IClientOptions) =>
      mqtt.connectAsync(stack.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    await expect(attempt({ clientId: 'r-17' })).rejects.toThrow(/Bad username or password/);
    await expect(attempt({ clientId: 'trail-alerts-1' })).rejects.toThrow(/Bad username or password/);
    await expect(attempt({ clientId: 'r-17', username: 'r-17', password: secretOf('r-18') })).rejects.toThrow(
      /Bad username or password/,
    );
    await expect(asDevice('r-18', { clientId: 'r-17', reconnectPeriod: 0 })).rejects.toThrow(/Identifier rejected/);
    expect(logs).toContain('MQTT connection refused (client id "r-17"): wrong username or password for "r-17"');
  });

  it("refuses a device publishing on another thing's topic", async () => {
    const before = await storedCount();
    const device = await asDevice('r-18', { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.publish(
      'audit/r-17/events',
      JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'r-17' } }),
      { qos: 1 },
    );
    await closed;
    await device.endAsync(true);
    await stack.drain();
    expect(await storedCount()).toBe(before);
  });

  it('logs and drops a device message that fails validation, without touching the store', async () => {
    const before = await storedCount();
    const device = await asDevice('r-19');
    await device.publishAsync(
      'audit/r-19/events',
      JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'r-19' }, source: { channel: 'http' } }),
      { qos: 1 },
    );
    await device.publishAsync('audit/r-19/events', 'not json', { qos: 1 });
    await device.endAsync();
    await stack.drain();
    expect(await storedCount()).toBe(before);
    await expect.poll(() => logs.some((line) => line.includes('audit/r-19/events rejected'))).toBe(true);
  });
});

describe('local stack: alerts', () => {
  it('publishes every stored CRITICAL event on audit/alerts/critical, and nothing else', async () => {
    const dashboard = await asDevice('floor-dashboard');
    const alerts: StoredEvent[] = [];
    dashboard.on('message', (_topic, payload) => alerts.push(JSON.parse(payload.toString()) as StoredEvent));
    await dashboard.subscribeAsync(CRITICAL_ALERT_TOPIC, { qos: 1 });
    try {
      const response = await post(
        JSON.stringify([
          {
            type: 'controller.protocol.error',
            severity: 'CRITICAL',
            entity: { type: 'controller', id: 'plc-7' },
            payload: { protocol: 'modbus', error: 'bus fault' },
          },
          {
            type: 'controller.state.changed',
            entity: { type: 'controller', id: 'plc-7' },
            payload: { from: 'run', to: 'halt' },
          },
        ]),
      );
      const { ids } = (await response.json()) as { ids: string[] };
      await stack.drain();
      await expect.poll(() => alerts.length, { timeout: 10_000 }).toBe(1);
      expect(alerts[0]).toMatchObject({
        id: ids[0],
        severity: 'CRITICAL',
        type: 'controller.protocol.error',
        actor: { type: 'user', id: 'alice' },
      });
    } finally {
      await dashboard.endAsync();
    }
  });
});
