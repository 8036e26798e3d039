/** Publishes one message on a topic: IoT Core in AWS, the local MQTT broker on a laptop. */
export interface AlertPublisher {
  publish(topic: string, payload: string): Promise<void>;
}
