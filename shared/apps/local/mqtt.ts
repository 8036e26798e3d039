import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import {
  IOT_TOPIC_FILTER,
  type IotRuleEvent,
  matchesRuleTopic,
  thingFromTopic,
} from '../../core/ingest/iot-message.ts';

/** Client ids of the stack's own MQTT clients (rule subscriber, alert publisher). */
const INTERNAL_CLIENT_PREFIX = 'trail-';

/** One PUBLISH as the rules engine sees it: the topic, the raw payload bytes, the publishing connection's client id. */
export interface PublishedMessage {
  topic: string;
  payload: Buffer;
  /** Unknown to a subscriber of an external broker: MQTT 3.1.1 does not tell subscribers who published. */
  clientId?: string;
}

/** Runs before a client's PUBLISH on a rule topic is acknowledged; a rejection withholds the PUBACK. */
export type PublishGate = (message: PublishedMessage) => Promise<void>;

export interface EmbeddedBroker {
  url: string;
  port: number;
  /**
   * Hands every PUBLISH on the rule's topics to `gate` before the broker acknowledges it (PUBACK for QoS 1), so a
   * device's message is acknowledged only once the events are queued (on disk). If `gate` rejects, the connection is
   * closed without PUBACK (MQTT 3.1.1 has no negative ack) and the device's client sends it again on reconnect.
   */
  setPublishGate(gate: PublishGate | undefined): void;
  stop(): Promise<void>;
}

/**
 * An embedded MQTT 3.1.1 broker (aedes) that enforces what the IoT policy enforces on AWS:
 * a device may publish only on audit/<its client id>/events.
 */
export async function startEmbeddedBroker(port: number): Promise<EmbeddedBroker> {
  let gate: PublishGate | undefined;
  const broker = await Aedes.createBroker({
    authorizePublish(client, packet, callback) {
      if (!client) return callback(null);
      const internal = client.id.startsWith(INTERNAL_CLIENT_PREFIX);
      const thing = thingFromTopic(packet.topic);
      if (!internal && (thing === undefined || thing !== client.id))
        return callback(
          new Error(`client ${client.id} may publish only on audit/${client.id}/events, not ${packet.topic}`),
        );
      if (!gate || !matchesRuleTopic(packet.topic)) return callback(null);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      gate({ topic: packet.topic, payload, clientId: client.id }).then(
        () => callback(null),
        (error: Error) => callback(error),
      );
    },
  });
  const server: Server = createServer(broker.handle);
  // A listener that cannot start leaves no broker behind (its timers would keep the process alive).
  const closeBroker = () => new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new Error(
            `MQTT_PORT ${port} is already in use (another broker, e.g. Mosquitto?). Set MQTT_PORT to a free port, or MQTT_URL=mqtt://127.0.0.1:${port} to use that broker.`,
          ),
        );
      } else reject(error);
    });
    server.listen(port, '127.0.0.1', resolve);
  }).catch(async (error: unknown) => {
    await closeBroker();
    throw error;
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    setPublishGate(next) {
      gate = next;
    },
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What the IoT rule's SQL (`IOT_RULE_SQL`) makes of a message: the raw bytes in base64 (`encode(*, 'base64')`), the
 * thing from the topic (`topic(2)`), the connection's client id (`clientid()`), the receive time (`timestamp()`).
 * Like the rules engine it judges nothing: the ingest handler refuses what is wrong. An unknown client id is left out.
 */
export function iotRuleEventFor(message: PublishedMessage, receivedAt: number): IotRuleEvent {
  return {
    payload: message.payload.toString('base64'),
    thing: message.topic.split('/')[1] ?? '',
    ...(message.clientId !== undefined && { clientId: message.clientId }),
    receivedAt,
  };
}

/** Hands a rule event to the ingest function; resolves to the reason it was refused, if it was. */
export type InvokeIngest = (event: IotRuleEvent) => Promise<string | undefined>;
export type OnRejected = (topic: string, reason: string) => void;

/**
 * Plays the topic rule over messages from any feed: messages of one thing are handled in order. `handle` resolves
 * once the message was queued or refused for good (refusals go to `onRejected`), and rejects when the ingest failed
 * and the message should come again (the queue is down or full).
 */
function playRule(invoke: InvokeIngest, onRejected: OnRejected) {
  const perThing = new Map<string, Promise<void>>();
  return {
    handle(message: PublishedMessage): Promise<void> {
      if (!matchesRuleTopic(message.topic)) return Promise.resolve();
      const event = iotRuleEventFor(message, Date.now());
      const key = event.thing;
      const result = (perThing.get(key) ?? Promise.resolve()).then(() => invoke(event));
      const next = result.then(
        (reason) => {
          if (reason !== undefined) onRejected(message.topic, reason);
        },
        (error) => onRejected(message.topic, `not acknowledged, it will come again: ${String(error)}`),
      );
      perThing.set(key, next);
      void next.finally(() => {
        if (perThing.get(key) === next) perThing.delete(key);
      });
      return result.then(() => undefined);
    },
    async idle(): Promise<void> {
      await Promise.all(perThing.values());
    },
  };
}

export interface IotRuleStandIn {
  /** Waits for the messages being handled, then stops. */
  stop(): Promise<void>;
}

/**
 * Plays the IoT topic rule inside the embedded broker, which knows each message's publishing connection, so the
 * event carries its client id as `clientid()` does on AWS. A QoS 1 message is acknowledged once its events are queued.
 */
export function startIotRuleOnBroker(
  broker: EmbeddedBroker,
  invoke: InvokeIngest,
  onRejected: OnRejected,
): IotRuleStandIn {
  const rule = playRule(invoke, onRejected);
  broker.setPublishGate((message) => rule.handle(message));
  return {
    async stop() {
      // Stopped, the broker acknowledges nothing more on the rule's topics: a device's message waits for the restart.
      broker.setPublishGate(() => Promise.reject(new Error('the stack is stopping')));
      await rule.idle();
    },
  };
}

export interface IotRuleSubscriber {
  client: MqttClient;
  /** Waits for the messages being handled, then disconnects. */
  stop(): Promise<void>;
}

/**
 * Plays the IoT topic rule on an external broker (`MQTT_URL`): subscribes to audit/+/events and hands each message to
 * `invoke` in the shape the rule's SQL produces, without `clientId` (a subscriber cannot tell who published). The
 * QoS 1 ack is sent after the handler ran.
 */
export async function startIotRuleSubscriber(
  url: string,
  invoke: InvokeIngest,
  onRejected: OnRejected,
): Promise<IotRuleSubscriber> {
  const client = await mqtt.connectAsync(url, {
    clientId: `${INTERNAL_CLIENT_PREFIX}iot-rule-${process.pid}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
  });
  const rule = playRule(invoke, onRejected);
  client.handleMessage = (packet, done) => {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    // Acked either way: an external broker cannot be told to redeliver (the refusal is logged).
    void rule
      .handle({ topic: packet.topic, payload })
      .catch(() => undefined)
      .finally(() => done());
  };
  await client.subscribeAsync(IOT_TOPIC_FILTER, { qos: 1 });
  return {
    client,
    async stop() {
      await client.unsubscribeAsync(IOT_TOPIC_FILTER).catch(() => undefined);
      await rule.idle();
      await client.endAsync();
    },
  };
}
