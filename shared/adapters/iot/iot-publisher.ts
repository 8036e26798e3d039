import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { AlertPublisher } from '../../core/ports/alerts.ts';

/** Publishes alerts through AWS IoT Core's data plane (HTTPS), QoS 1 so subscribers get them at least once. */
export class IotAlertPublisher implements AlertPublisher {
  constructor(private readonly client: IoTDataPlaneClient) {}

  /** The account's `iot:Data-ATS` endpoint host comes from `IOT_ENDPOINT` (set by the CDK app). */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): IotAlertPublisher {
    const host = env['IOT_ENDPOINT'];
    if (!host) throw new Error('IOT_ENDPOINT is not set: it must be the account iot:Data-ATS endpoint host');
    return new IotAlertPublisher(new IoTDataPlaneClient({ endpoint: `https://${host}` }));
  }

  async publish(topic: string, payload: string): Promise<void> {
    await this.client.send(
      new PublishCommand({
        topic,
        qos: 1,
        contentType: 'application/json',
        payload: new TextEncoder().encode(payload),
      }),
    );
  }
}
