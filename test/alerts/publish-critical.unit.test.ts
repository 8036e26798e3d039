import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IotAlertPublisher } from '../../shared/adapters/iot/iot-publisher.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { Severity } from '../../shared/core/domain/severity.ts';
import type { AlertPublisher } from '../../shared/core/ports/alerts.ts';
import { publishCriticalAlerts } from '../../shared/core/writer/publish-critical.ts';

function storedEvent(id: string, severity: Severity): StoredEvent {
  return {
    id,
    type: 'controller.protocol.error',
    severity,
    occurredAt: '2026-05-31T23:30:00.000Z',
    receivedAt: '2026-05-31T23:30:01.000Z',
    entity: { type: 'controller', id: 'plc-7' },
    related: [],
    actor: { type: 'device', id: 'plc-7' },
    source: { channel: 'iot', principal: 'plc-7', clientId: 'plc-7' },
    payload: { protocol: 'modbus', error: 'timeout' },
  };
}

const info = storedEvent('0197a4d2-0000-7000-8000-000000000001', 'INFO');
const critical1 = storedEvent('0197a4d2-0000-7000-8000-000000000002', 'CRITICAL');
const error = storedEvent('0197a4d2-0000-7000-8000-000000000003', 'ERROR');
const critical2 = storedEvent('0197a4d2-0000-7000-8000-000000000004', 'CRITICAL');

function recordingPublisher(failOn: Set<string> = new Set()) {
  const sent: { topic: string; payload: string }[] = [];
  const publisher: AlertPublisher = {
    async publish(topic, payload) {
      if (failOn.has(JSON.parse(payload).id)) throw new Error('broker unavailable');
      sent.push({ topic, payload });
    },
  };
  return { sent, publisher };
}

describe('publishCriticalAlerts', () => {
  it('publishes only CRITICAL events, in order, as their JSON on the alert topic', async () => {
    const { sent, publisher } = recordingPublisher();
    const count = await publishCriticalAlerts([info, critical1, error, critical2], publisher);
    expect(count).toBe(2);
    expect(sent).toEqual([
      { topic: CRITICAL_ALERT_TOPIC, payload: JSON.stringify(critical1) },
      { topic: CRITICAL_ALERT_TOPIC, payload: JSON.stringify(critical2) },
    ]);
  });

  it('publishes nothing when no event is CRITICAL', async () => {
    const { sent, publisher } = recordingPublisher();
    expect(await publishCriticalAlerts([info, error], publisher)).toBe(0);
    expect(sent).toEqual([]);
  });

  it('attempts every alert, then reports the failures together', async () => {
    const { sent, publisher } = recordingPublisher(new Set([critical1.id]));
    await expect(publishCriticalAlerts([critical1, critical2], publisher)).rejects.toThrow(
      '1 of 2 critical alerts were not published',
    );
    expect(sent.map((message) => JSON.parse(message.payload).id)).toEqual([critical2.id]);
  });

  it('uses the topic it is given', async () => {
    const { sent, publisher } = recordingPublisher();
    await publishCriticalAlerts([critical1], publisher, 'site-a/alerts');
    expect(sent[0]?.topic).toBe('site-a/alerts');
  });
});

describe('IotAlertPublisher', () => {
  const iot = mockClient(IoTDataPlaneClient);
  beforeEach(() => iot.reset());

  it('sends one PublishCommand per critical event: alert topic, QoS 1, the event JSON as payload', async () => {
    iot.on(PublishCommand).resolves({});
    const publisher = new IotAlertPublisher(new IoTDataPlaneClient({ region: 'eu-west-1' }));
    await publishCriticalAlerts([info, critical1], publisher);

    const calls = iot.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toEqual({
      topic: CRITICAL_ALERT_TOPIC,
      qos: 1,
      contentType: 'application/json',
      payload: new TextEncoder().encode(JSON.stringify(critical1)),
    });
    expect(JSON.parse(new TextDecoder().decode(input.payload as Uint8Array))).toEqual(critical1);
  });

  it('propagates a failed publish', async () => {
    iot.on(PublishCommand).rejects(new Error('ThrottlingException'));
    const publisher = new IotAlertPublisher(new IoTDataPlaneClient({ region: 'eu-west-1' }));
    await expect(publisher.publish(CRITICAL_ALERT_TOPIC, '{}')).rejects.toThrow('ThrottlingException');
  });

  it('needs the account data endpoint from IOT_ENDPOINT', async () => {
    expect(() => IotAlertPublisher.fromEnvironment({})).toThrow('IOT_ENDPOINT is not set');
    const publisher = IotAlertPublisher.fromEnvironment({ IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com' });
    expect(publisher).toBeInstanceOf(IotAlertPublisher);
  });
});
