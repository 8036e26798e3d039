/**
 * The IoT topic every CRITICAL event is published on, so dashboards and devices on the floor see it at once.
 * The writer publishes on it (shared/core/writer/publish-critical.ts; `ALERT_TOPIC` in functions/writer/handler.ts
 * defaults to it and infra sets it to it), infra's IoT policy lets things subscribe to and receive it and the writer
 * publish on it (infra/constructs/alert-topic.ts), and the local stack's MQTT publisher uses the writer's default.
 */
export const CRITICAL_ALERT_TOPIC = 'audit/alerts/critical';
