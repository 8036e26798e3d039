import type { MqttClient } from 'mqtt';
import type { AlertPublisher } from '../../core/ports/alerts.ts';

/** The local counterpart of IoT Core's data plane: publishes alerts on the local broker, QoS 1. */
export class MqttAlertPublisher implements AlertPublisher {
  constructor(private readonly client: MqttClient) {}

  async publish(topic: string, payload: string): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }
}
