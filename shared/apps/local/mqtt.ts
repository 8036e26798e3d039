import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type MqttIdentity,
  type MqttService,
  publishRefusal,
  subscribeRefusal,
} from '../../core/access/mqtt-policy.ts';
import { IOT_TOPIC_FILTER, type IotRuleEvent, matchesRuleTopic } from '../../core/ingest/iot-message.ts';
import { authenticate, type MqttCredential, serviceCredentials } from './mqtt-auth.ts';

export type { MqttCredential } from './mqtt-auth.ts';

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
  /** The credential of one of the stack's own clients: it grants only that service's topics (MQTT_SERVICES). */
  serviceCredential(service: MqttService): MqttCredential;
  stop(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** thing name → secret (LOCAL_DEVICES). None: no device can connect. */
  devices?: ReadonlyMap<string, string>;
  /** Where refused connections, publishes and subscriptions are reported. */
  log?: (message: string) => void;
}

/**
 * An embedded MQTT 3.1.1 broker (aedes) that enforces what IoT Core's device certificates and policy enforce on AWS:
 * every client authenticates (a device: username = thing name, password = its secret, client id = thing name); a
 * device may publish only on audit/<its thing>/events and subscribe only to the alert topic; the stack's own clients
 * hold generated credentials with only their service's rights. Nothing is granted by a client id alone.
 */
export async function startEmbeddedBroker(port: number, options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const log = options.log ?? (() => {});
  const devices = options.devices ?? new Map<string, string>();
  const services = serviceCredentials();
  const identities = new WeakMap<Client, MqttIdentity>();
  let gate: PublishGate | undefined;
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const result = authenticate(client.id, username, password, devices, services);
      if ('refused' in result) {
        log(`MQTT connection refused (client id ${JSON.stringify(client.id)}): ${result.refused}`);
        const error = Object.assign(new Error(result.refused), { returnCode: result.returnCode });
        return done(error as AuthenticateError, false);
      }
      identities.set(client, result.identity);
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      const identity = client ? identities.get(client) : undefined;
      // No connection (a will left by an earlier broker) or no identity: nothing vouches for the message.
      if (!client || !identity) return callback(new Error(`a message on ${packet.topic} from no authenticated client`));
      const refusal = publishRefusal(identity, packet.topic, packet.retain);
      if (refusal) {
        log(`MQTT client ${client.id} disconnected: ${refusal}`);
        return callback(new Error(refusal));
      }
      if (!gate || !matchesRuleTopic(packet.topic)) return callback(null);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      gate({ topic: packet.topic, payload, clientId: client.id }).then(
        () => callback(null),
        (error: Error) => callback(error),
      );
    },
    authorizeSubscribe(client, subscription, callback) {
      const identity = identities.get(client);
      const refusal = identity ? subscribeRefusal(identity, subscription.topic) : 'not authenticated';
      if (!refusal) return callback(null, subscription);
      log(`MQTT client ${client.id}: subscription refused: ${refusal}`);
      // A null subscription answers SUBACK 0x80 (failure) for this filter and keeps the connection.
      callback(null, null);
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
    serviceCredential(service) {
      return { ...services[service] };
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
 * QoS 1 ack is sent after the handler ran. `credential`: the embedded broker's `iot-rule` service credential.
 */
export async function startIotRuleSubscriber(
  url: string,
  invoke: InvokeIngest,
  onRejected: OnRejected,
  credential?: MqttCredential,
): Promise<IotRuleSubscriber> {
  const client = await mqtt.connectAsync(url, {
    // Without a credential (an external broker), the username and password in MQTT_URL, if any, are used.
    clientId: `trail-iot-rule-${process.pid}`,
    ...credential,
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
