import { describe, expect, it } from 'vitest';
import { type MqttIdentity, publishRefusal, subscribeRefusal } from '../../shared/core/access/mqtt-policy.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';

const r1: MqttIdentity = { kind: 'device', thing: 'r-1' };
// A thing named like the stack's old internal prefix is a device like any other.
const trailNamed: MqttIdentity = { kind: 'device', thing: 'trail-x' };
const alerts: MqttIdentity = { kind: 'service', name: 'alerts' };
const rule: MqttIdentity = { kind: 'service', name: 'iot-rule' };

describe('MQTT publish policy (the device policy of infra/constructs/iot-ingest.ts, played locally)', () => {
  it.each([
    [r1, 'audit/r-1/events', true],
    [r1, 'audit/r-2/events', false],
    [r1, 'audit/+/events', false],
    [r1, 'audit//events', false],
    [r1, 'audit/r-1/events/x', false],
    [r1, CRITICAL_ALERT_TOPIC, false],
    [r1, '$SYS/x/heartbeat', false],
    [trailNamed, 'audit/trail-x/events', true],
    [trailNamed, 'audit/r-1/events', false],
    [trailNamed, CRITICAL_ALERT_TOPIC, false],
    [alerts, CRITICAL_ALERT_TOPIC, true],
    [alerts, 'audit/r-1/events', false],
    [rule, 'audit/r-1/events', false],
    [rule, CRITICAL_ALERT_TOPIC, false],
  ] as const)('%o on %s: allowed %s', (identity, topic, allowed) => {
    const refusal = publishRefusal(identity, topic, false);
    if (allowed) expect(refusal).toBeUndefined();
    else expect(refusal).toMatch(new RegExp(`may publish only on .*, not ${topic.replace(/[$+]/g, '\\$&')}$`));
  });

  it('names who asked and what they may do', () => {
    expect(publishRefusal(r1, 'audit/r-2/events', false)).toBe(
      'device r-1 may publish only on audit/r-1/events, not audit/r-2/events',
    );
    expect(publishRefusal(rule, 'audit/r-1/events', false)).toBe(
      'service iot-rule may publish only on no topic, not audit/r-1/events',
    );
  });

  it('refuses a retained message from a device (no iot:RetainPublish), even on its own topic', () => {
    expect(publishRefusal(r1, 'audit/r-1/events', true)).toBe('device r-1 may not publish retained messages');
  });
});

describe('MQTT subscribe policy: exact filters only', () => {
  it.each([
    [r1, CRITICAL_ALERT_TOPIC, true],
    [r1, '#', false],
    [r1, '+/#', false],
    [r1, 'audit/#', false],
    [r1, 'audit/+/events', false],
    [r1, 'audit/r-2/events', false],
    [r1, 'audit/r-1/events', false],
    [r1, 'audit/alerts/+', false],
    [r1, '$SYS/#', false],
    [trailNamed, 'audit/+/events', false],
    [alerts, CRITICAL_ALERT_TOPIC, false],
    [rule, 'audit/+/events', true],
    [rule, '#', false],
  ] as const)('%o to %s: allowed %s', (identity, filter, allowed) => {
    const refusal = subscribeRefusal(identity, filter);
    if (allowed) expect(refusal).toBeUndefined();
    else expect(refusal).toMatch(/may subscribe only to /);
  });

  it('names the one filter a device may subscribe to', () => {
    expect(subscribeRefusal(r1, '#')).toBe(`device r-1 may subscribe only to ${CRITICAL_ALERT_TOPIC}, not #`);
  });
});
