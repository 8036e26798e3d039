import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { IOT_TOPIC_FILTER, type IotRuleEvent, thingFromTopic } from '../ingest/iot-message.ts';

export const ALERT_TOPIC = 'audit/alerts/critical';
/** Client ids of the stack's own MQTT clients (rule subscriber, alert publisher). */
const INTERNAL_CLIENT_PREFIX = 'trail-';

export interface EmbeddedBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * An embedded MQTT 3.1.1 broker (aedes) that enforces what the IoT policy enforces on AWS:
 * a device may publish only on audit/<its client id>/events.
 */
export async function startEmbeddedBroker(port: number): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({
    authorizePublish(client, packet, callback) {
      if (!client || client.id.startsWith(INTERNAL_CLIENT_PREFIX)) return callback(null);
      const thing = thingFromTopic(packet.topic);
      if (thing !== undefined && thing === client.id) return callback(null);
      callback(new Error(`client ${client.id} may publish only on audit/${client.id}/events, not ${packet.topic}`));
    },
  });
  const server: Server = createServer(broker.handle);
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
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface IotRuleSubscriber {
  client: MqttClient;
  /** Waits for the messages being handled, then disconnects. */
  stop(): Promise<void>;
}

/**
 * Plays the IoT topic rule: subscribes to audit/+/events and hands each message to `invoke` in the shape the rule's
 * SQL produces. Messages of one thing are handled in order; the QoS 1 ack is sent after the handler ran.
 */
export async function startIotRuleSubscriber(
  url: string,
  invoke: (event: IotRuleEvent) => Promise<void>,
  onRejected: (topic: string, reason: string) => void,
): Promise<IotRuleSubscriber> {
  const client = await mqtt.connectAsync(url, {
    clientId: `${INTERNAL_CLIENT_PREFIX}iot-rule-${process.pid}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
  });
  const perThing = new Map<string, Promise<void>>();
  client.handleMessage = (packet, done) => {
    const thing = thingFromTopic(packet.topic);
    const receivedAt = Date.now();
    const work = async () => {
      if (!thing) return onRejected(packet.topic, 'topic is not audit/<thing>/events');
      let payload: unknown;
      try {
        payload = JSON.parse(packet.payload.toString());
      } catch (error) {
        return onRejected(packet.topic, `payload is not JSON: ${(error as Error).message}`);
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        return onRejected(packet.topic, 'payload must be a JSON object: one event, or {"events": [...]}');
      }
      await invoke({ ...(payload as Record<string, unknown>), thing, receivedAt });
    };
    const key = thing ?? '';
    const next = (perThing.get(key) ?? Promise.resolve())
      .then(work)
      .catch((error) => onRejected(packet.topic, String(error)));
    perThing.set(key, next);
    next.finally(() => {
      if (perThing.get(key) === next) perThing.delete(key);
      done();
    });
  };
  await client.subscribeAsync(IOT_TOPIC_FILTER, { qos: 1 });
  return {
    client,
    async stop() {
      await client.unsubscribeAsync(IOT_TOPIC_FILTER).catch(() => undefined);
      await Promise.all(perThing.values());
      await client.endAsync();
    },
  };
}
