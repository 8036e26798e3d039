import { CRITICAL_ALERT_TOPIC } from '../contracts/alerts.ts';
import { IOT_TOPIC_FILTER } from '../ingest/iot-message.ts';

/**
 * Who an authenticated MQTT connection is: a device (its thing name comes from its credential, never from the client
 * id it sends), or one of the stack's own services. The same rules as the device policy of infra/constructs/iot-ingest.ts.
 */
export type MqttIdentity = { kind: 'device'; thing: string } | { kind: 'service'; name: MqttService };

/** The stack's own clients and the one thing each may do. */
export const MQTT_SERVICES = {
  /** The writer's alert publisher (IoT Core's data plane on AWS). */
  alerts: { publish: [CRITICAL_ALERT_TOPIC], subscribe: [] },
  /** The IoT rule played as a subscriber (the rules engine on AWS). */
  'iot-rule': { publish: [], subscribe: [IOT_TOPIC_FILTER] },
} as const satisfies Record<string, { publish: readonly string[]; subscribe: readonly string[] }>;
export type MqttService = keyof typeof MQTT_SERVICES;

/** A thing name as IoT Core allows it, without ':' (the entity id separator): also a safe single topic level. */
export const THING_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function describeIdentity(identity: MqttIdentity): string {
  return identity.kind === 'device' ? `device ${identity.thing}` : `service ${identity.name}`;
}

/** Why `identity` may not publish on `topic` (retained or not), or undefined if it may. */
export function publishRefusal(identity: MqttIdentity, topic: string, retain: boolean): string | undefined {
  const allowed: readonly string[] =
    identity.kind === 'device' ? [`audit/${identity.thing}/events`] : MQTT_SERVICES[identity.name].publish;
  if (!allowed.includes(topic))
    return `${describeIdentity(identity)} may publish only on ${allowed.join(', ') || 'no topic'}, not ${topic}`;
  // The device policy grants no iot:RetainPublish: a retained message would replay to every later subscriber.
  if (retain && identity.kind === 'device') return `${describeIdentity(identity)} may not publish retained messages`;
  return undefined;
}

/** Why `identity` may not subscribe to `filter`, or undefined if it may. Filters match exactly: no wildcard widening. */
export function subscribeRefusal(identity: MqttIdentity, filter: string): string | undefined {
  const allowed: readonly string[] =
    identity.kind === 'device' ? [CRITICAL_ALERT_TOPIC] : MQTT_SERVICES[identity.name].subscribe;
  if (allowed.includes(filter)) return undefined;
  return `${describeIdentity(identity)} may subscribe only to ${allowed.join(', ') || 'no topic'}, not ${filter}`;
}
