import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIngestIotHandler } from '../../shared/apps/ingest-iot.ts';
import { type EmbeddedBroker, startEmbeddedBroker, startIotRuleOnBroker } from '../../shared/apps/local/mqtt.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { IotRuleEvent } from '../../shared/core/ingest/iot-message.ts';
import type { QueueMessageBody } from '../../shared/core/ingest/packing.ts';

const DEVICES = new Map([
  ['r-1', 'secret-of-r-1'],
  ['r-2', 'secret-of-r-2'],
  ['trail-x', 'secret-of-trail-x'],
]);
const event = (id: string) => JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id } });

let broker: EmbeddedBroker;
const brokerLog: string[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker(0, { devices: DEVICES, log: (line) => brokerLog.push(line) });
});
afterEach(async () => {
  broker.setPublishGate(undefined);
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});
afterAll(async () => {
  await broker?.stop();
});

/** Connects without retrying: a refusal rejects with the CONNACK's reason. */
async function connect(options: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
  clients.push(client);
  return client;
}
const asDevice = (thing: string, options: IClientOptions = {}) =>
  connect({ clientId: thing, username: thing, password: DEVICES.get(thing), ...options });

/** What the rule stand-in receives while `run` runs. */
async function ruleEvents(run: () => Promise<void>): Promise<IotRuleEvent[]> {
  const events: IotRuleEvent[] = [];
  const rule = startIotRuleOnBroker(
    broker,
    async (e) => {
      events.push(e);
      return undefined;
    },
    () => {},
  );
  try {
    await run();
  } finally {
    await rule.stop();
  }
  return events;
}

/** The SUBACK's return codes (128: refused); mqtt.js rejects a SUBACK holding a refusal, with the packet. */
async function subscribe(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((grant) => grant.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw error;
    return granted;
  }
}

/** Publishes at QoS 1 and resolves whether the broker acknowledged it, or closed the connection instead. */
function published(client: MqttClient, topic: string, payload: string, retain = false): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    client.once('close', () => resolve('closed'));
    client.publish(topic, payload, { qos: 1, retain }, (error) => {
      if (!error) resolve('acked');
    });
  });
}

describe('the embedded broker authenticates every client', () => {
  it.each([
    ['no credentials', { clientId: 'r-1' }, /Bad username or password/],
    ['a wrong secret', { clientId: 'r-1', username: 'r-1', password: 'secret-of-r-2' }, /Bad username or password/],
    ['an unknown thing', { clientId: 'r-9', username: 'r-9', password: 'secret-of-r-1' }, /Bad username or password/],
    ['a username only', { clientId: 'r-1', username: 'r-1' }, /Bad username or password/],
    // The old bypass: a client id with the stack's prefix and no credential gets nothing.
    ['a trail- client id', { clientId: 'trail-alerts-1' }, /Bad username or password/],
    ['a service username with a device secret', { username: 'trail:alerts', password: 'secret-of-r-1' }, /Bad/],
  ])('refuses %s', async (_, options, why) => {
    await expect(connect(options)).rejects.toThrow(why);
  });

  it('refuses a client id other than the credential’s thing (no session takeover), naming the one to use', async () => {
    await expect(asDevice('r-1', { clientId: 'r-2' })).rejects.toThrow(/Identifier rejected/);
    const alerts = broker.serviceCredential('alerts');
    await expect(asDevice('r-1', { clientId: alerts.clientId })).rejects.toThrow(/Identifier rejected/);
    expect(brokerLog).toContain(
      'MQTT connection refused (client id "r-2"): device r-1 must connect with client id "r-1"',
    );
  });

  it('logs refusals with the client id and the reason, never the secret', () => {
    expect(brokerLog).toContain('MQTT connection refused (client id "r-1"): wrong username or password for "r-1"');
    expect(brokerLog.join('\n')).not.toMatch(/secret-of/);
  });

  it('generates new service credentials at every start', async () => {
    const other = await startEmbeddedBroker(0);
    try {
      expect(other.serviceCredential('alerts').password).not.toBe(broker.serviceCredential('alerts').password);
      expect(other.serviceCredential('alerts').password.length).toBeGreaterThanOrEqual(43);
    } finally {
      await other.stop();
    }
  });
});

describe('a device publishes only as the thing of its credential', () => {
  it('on its own topic: acknowledged once handled, with the thing and the connection’s client id', async () => {
    const events = await ruleEvents(async () => {
      const r1 = await asDevice('r-1');
      expect(await published(r1, 'audit/r-1/events', event('r-1'))).toBe('acked');
    });
    expect(events.map((e) => [e.thing, e.clientId])).toEqual([['r-1', 'r-1']]);
  });

  it.each([
    ['another device’s topic', 'r-1', 'audit/r-2/events'],
    ['the alert topic', 'r-1', CRITICAL_ALERT_TOPIC],
    ['another topic, as a thing named trail-…', 'trail-x', 'audit/r-2/events'],
  ])('on %s: disconnected, never handed to the rule', async (_, thing, topic) => {
    const events = await ruleEvents(async () => {
      const device = await asDevice(thing);
      expect(await published(device, topic, event('r-2'))).toBe('closed');
    });
    expect(events).toEqual([]);
    expect(brokerLog).toContain(
      `MQTT client ${thing} disconnected: device ${thing} may publish only on audit/${thing}/events, not ${topic}`,
    );
  });

  it('not retained, even on its own topic', async () => {
    const events = await ruleEvents(async () => {
      const r1 = await asDevice('r-1');
      expect(await published(r1, 'audit/r-1/events', event('r-1'), true)).toBe('closed');
    });
    expect(events).toEqual([]);
  });

  it('a payload field clientId stays in the payload; source.clientId is the connection’s', async () => {
    const messages: string[] = [];
    const handle = createIngestIotHandler({
      queue: {
        async send(batch) {
          messages.push(...batch.map((m) => m.body));
        },
      },
      catalog: createCatalog(),
    });
    const rule = startIotRuleOnBroker(
      broker,
      async (e) => {
        const result = await handle(e);
        return 'rejected' in result ? result.rejected : undefined;
      },
      () => {},
    );
    try {
      const r1 = await asDevice('r-1');
      const forged = { type: 'robot.online', entity: { type: 'robot', id: 'r-1' }, payload: { clientId: 'r-2' } };
      expect(await published(r1, 'audit/r-1/events', JSON.stringify(forged))).toBe('acked');
    } finally {
      await rule.stop();
    }
    const stored = messages.flatMap((body) => (JSON.parse(body) as QueueMessageBody).events) as StoredEvent[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.source).toEqual({ channel: 'iot', principal: 'r-1', clientId: 'r-1' });
    expect(stored[0]!.actor).toEqual({ type: 'device', id: 'r-1' });
    expect(stored[0]!.payload).toEqual({ clientId: 'r-2' });
  });
});

describe('subscriptions', () => {
  it.each(['#', 'audit/#', 'audit/+/events', 'audit/r-2/events', 'audit/r-1/events', '$SYS/#', 'audit/alerts/+'])(
    'a device may not subscribe to %s (SUBACK failure, the connection stays)',
    async (filter) => {
      const r1 = await asDevice('r-1');
      expect(await subscribe(r1, [filter])).toEqual([128]);
      expect(r1.connected).toBe(true);
      expect(brokerLog).toContain(
        `MQTT client r-1: subscription refused: device r-1 may subscribe only to ${CRITICAL_ALERT_TOPIC}, not ${filter}`,
      );
    },
  );

  it('a device hears nothing of another device’s events, even when it asks for them with its own', async () => {
    const r1 = await asDevice('r-1');
    const heard: string[] = [];
    r1.on('message', (topic) => heard.push(topic));
    expect(await subscribe(r1, ['#', 'audit/+/events', CRITICAL_ALERT_TOPIC])).toEqual([128, 128, 1]);
    const r2 = await asDevice('r-2');
    expect(await published(r2, 'audit/r-2/events', event('r-2'))).toBe('acked');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([]);
  });

  it('a device hears the alerts the alert service publishes; the alert service may publish nothing else', async () => {
    const r1 = await asDevice('r-1');
    const heard: [string, string][] = [];
    r1.on('message', (topic, payload) => heard.push([topic, payload.toString()]));
    expect(await subscribe(r1, [CRITICAL_ALERT_TOPIC])).toEqual([1]);
    const alerts = await connect(broker.serviceCredential('alerts'));
    await alerts.publishAsync(CRITICAL_ALERT_TOPIC, '{"severity":"CRITICAL"}', { qos: 1 });
    await expect.poll(() => heard).toEqual([[CRITICAL_ALERT_TOPIC, '{"severity":"CRITICAL"}']]);
    expect(await published(alerts, 'audit/r-1/events', event('r-1'))).toBe('closed');
  });

  it('one thing is one session: a second connection as the same thing closes the first (README: listen as another)', async () => {
    const listener = await asDevice('r-1');
    expect(await subscribe(listener, [CRITICAL_ALERT_TOPIC])).toEqual([1]);
    const closed = new Promise<void>((resolve) => listener.once('close', () => resolve()));
    const publisher = await asDevice('r-1');
    await closed;
    expect(listener.connected).toBe(false);
    expect(await published(publisher, 'audit/r-1/events', event('r-1'))).toBe('acked');
  });
});
