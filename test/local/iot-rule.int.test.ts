import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmbeddedBroker,
  iotRuleEventFor,
  startEmbeddedBroker,
  startIotRuleOnBroker,
  startIotRuleSubscriber,
} from '../../shared/apps/local/mqtt.ts';
import { type IotRuleEvent, iotRuleEventSchema, readIotRuleEvent } from '../../shared/core/ingest/iot-message.ts';

const event = { type: 'robot.online', entity: { type: 'robot', id: 'r-17' }, payload: { reason: 'boot' } };
const json = Buffer.from(JSON.stringify(event));
/** Not UTF-8: what a device on a binary protocol (protobuf, CBOR) would publish. */
const binary = Buffer.from([0x08, 0x96, 0x01, 0xff, 0x00, 0xfe]);

describe('iotRuleEventFor (the rule SQL, played locally)', () => {
  it('builds the AWS rule event: base64 of the raw bytes, thing from the topic, client id of the connection', () => {
    const built = iotRuleEventFor({ topic: 'audit/r-17/events', payload: json, clientId: 'r-17' }, 1_778_400_000_000);
    expect(built).toEqual({
      payload: json.toString('base64'),
      thing: 'r-17',
      clientId: 'r-17',
      receivedAt: 1_778_400_000_000,
    });
    expect(iotRuleEventSchema.parse(built)).toEqual(built);
    expect(readIotRuleEvent(built)).toMatchObject({ ok: true, thing: 'r-17', clientId: 'r-17', events: [event] });
  });

  it('judges nothing: any bytes validate as a rule event, and the handler refuses what is not JSON', () => {
    const built = iotRuleEventFor({ topic: 'audit/r-17/events', payload: binary, clientId: 'r-17' }, 1);
    expect(iotRuleEventSchema.safeParse(built).success).toBe(true);
    expect(Buffer.from(built.payload, 'base64')).toEqual(binary);
    expect(readIotRuleEvent(built)).toEqual({ ok: false, error: expect.stringMatching(/not UTF-8/) });
  });

  it('leaves the client id out when it is not known, as the rules engine leaves out undefined values', () => {
    const built = iotRuleEventFor({ topic: 'audit/r-17/events', payload: json }, 1);
    expect('clientId' in built).toBe(false);
    expect(iotRuleEventSchema.safeParse(built).success).toBe(true);
  });
});

/** thing → secret: each device connects as its thing (username and client id) with its secret. */
const DEVICES = new Map([
  ['r-17', 'secret-of-r-17'],
  ['r-18', 'secret-of-r-18'],
  ['r-20', 'secret-of-r-20'],
]);
const credentials = (thing: string) => ({ clientId: thing, username: thing, password: DEVICES.get(thing) });

describe('the IoT rule stand-in over MQTT', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker(0, { devices: DEVICES });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  async function publish(thing: string, topic: string, payloads: Buffer[]) {
    const client = await mqtt.connectAsync(broker.url, { ...credentials(thing), protocolVersion: 4 });
    try {
      for (const payload of payloads) await client.publishAsync(topic, payload, { qos: 1 });
    } finally {
      await client.endAsync();
    }
  }

  async function collect(
    start: (invoke: (e: IotRuleEvent) => Promise<undefined>) => Promise<{ stop(): Promise<void> }>,
    run: () => Promise<void>,
    count: number,
  ) {
    const events: IotRuleEvent[] = [];
    const rule = await start(async (e) => {
      events.push(e);
      return undefined;
    });
    try {
      await run();
      await expect.poll(() => events.length, { timeout: 5_000 }).toBe(count);
    } finally {
      await rule.stop();
    }
    return events;
  }

  it('in the embedded broker: the exact bytes, the thing, and the publishing connection as client id', async () => {
    const before = Date.now();
    const events = await collect(
      async (invoke) => startIotRuleOnBroker(broker, invoke, () => {}),
      async () => {
        await publish('r-17', 'audit/r-17/events', [json, binary]);
        await publish('r-18', 'audit/r-18/events', [json]);
      },
      3,
    );
    for (const e of events) expect(iotRuleEventSchema.parse(e)).toEqual(e);
    expect(events.map((e) => [e.thing, e.clientId])).toEqual([
      ['r-17', 'r-17'],
      ['r-17', 'r-17'],
      ['r-18', 'r-18'],
    ]);
    expect(events.map((e) => Buffer.from(e.payload, 'base64'))).toEqual([json, binary, json]);
    for (const e of events) expect(e.receivedAt).toBeGreaterThanOrEqual(before);
  });

  it('acknowledges a QoS 1 message only once the ingest has queued it, and never when the ingest fails', async () => {
    let release!: () => void;
    const queued = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fail = false;
    const handled: string[] = [];
    const rule = startIotRuleOnBroker(
      broker,
      async (e) => {
        await queued;
        if (fail) throw new Error('queue unavailable');
        handled.push(e.thing);
        return undefined;
      },
      () => {},
    );
    const client = await mqtt.connectAsync(broker.url, {
      ...credentials('r-20'),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      let acked = false;
      const publishing = client.publishAsync('audit/r-20/events', json, { qos: 1 }).then(() => {
        acked = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(acked).toBe(false);
      release();
      await publishing;
      expect(handled).toEqual(['r-20']);

      // The queue fails: no PUBACK; the broker closes the connection (MQTT 3.1.1 has no negative ack).
      fail = true;
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      let secondAcked = false;
      void client.publishAsync('audit/r-20/events', json, { qos: 1 }).then(
        () => {
          secondAcked = true;
        },
        () => undefined,
      );
      await closed;
      expect(secondAcked).toBe(false);
    } finally {
      client.end(true);
      await rule.stop();
    }
  });

  it('subscribing to any broker: the same shape, without the client id a subscriber cannot see', async () => {
    // A stopped rule leaves the broker refusing the rule's topics (nothing acked unhandled): here it is a plain broker.
    broker.setPublishGate(undefined);
    const events = await collect(
      (invoke) => startIotRuleSubscriber(broker.url, invoke, () => {}, broker.serviceCredential('iot-rule')),
      () => publish('r-17', 'audit/r-17/events', [json]),
      1,
    );
    expect(iotRuleEventSchema.parse(events[0])).toEqual(events[0]);
    expect(events[0]).toEqual({ payload: json.toString('base64'), thing: 'r-17', receivedAt: expect.any(Number) });
  });

  it('reports what the ingest function refused, with the topic', async () => {
    const rejected: [string, string][] = [];
    const rule = startIotRuleOnBroker(
      broker,
      async (e) => {
        const message = readIotRuleEvent(e);
        return message.ok ? undefined : message.error;
      },
      (topic, reason) => rejected.push([topic, reason]),
    );
    try {
      await publish('r-17', 'audit/r-17/events', [Buffer.from('not json')]);
      await expect.poll(() => rejected).toEqual([['audit/r-17/events', expect.stringMatching(/not JSON/)]]);
    } finally {
      await rule.stop();
    }
  });
});
