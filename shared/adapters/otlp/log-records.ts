import type { Attributes, HrTime } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { entityKey } from '../../core/domain/entity.ts';
import { severityNumber } from '../../core/domain/severity.ts';
import type { SequencedEvent } from '../../core/ports/streams.ts';

/** The instrumentation scope of every record: the trail's forwarder. */
export const OTLP_SCOPE = { name: 'fleet-audit-trail/forwarder', version: '1' } as const;

/**
 * The OTLP resource: `service.name` names the deployment (its log id). A plain object with the few members the
 * serializers read (attributes, schemaUrl): @opentelemetry/resources' implementation is not a dependency of ours.
 */
export function otlpResource(serviceName: string): Resource {
  const attributes: Attributes = { 'service.name': serviceName };
  const resource: Resource = {
    attributes,
    merge: (other) => (other ? otlpResource(serviceName) : resource),
    getRawAttributes: () => Object.entries(attributes),
  };
  return resource;
}

/** An ISO instant as OpenTelemetry's [seconds, nanoseconds]. */
function hrTime(iso: string): HrTime {
  const ms = Date.parse(iso);
  return [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
}

/**
 * A sealed event as an OTLP LogRecord: timeUnixNano = occurredAt, observedTimeUnixNano = receivedAt, the severity
 * as stored (INFO 9, WARNING 13, ERROR 17, CRITICAL 21, with its name as severityText), the W3C trace context when
 * the event carries one, eventName = the event type, and the event's fields as attributes: `event.id`, `event.seq`
 * (its place in the sealed log), `entity.*`, `related` (entity keys), `actor.*`, `source.*`, `event.causation_id`
 * and `payload` (a map, as sent). The body is a one-line summary for viewers that show only bodies.
 */
export function toLogRecord(
  { seq, event }: SequencedEvent,
  resource: Resource,
  scope: ReadableLogRecord['instrumentationScope'] = OTLP_SCOPE,
): ReadableLogRecord {
  const attributes: Record<string, unknown> = {
    'event.id': event.id,
    'event.seq': seq,
    'entity.type': event.entity.type,
    'entity.id': event.entity.id,
    related: event.related.map(entityKey),
    'actor.type': event.actor.type,
    'actor.id': event.actor.id,
    'source.channel': event.source.channel,
    'source.principal': event.source.principal,
    ...(event.source.clientId !== undefined && { 'source.client_id': event.source.clientId }),
    ...(event.source.ip !== undefined && { 'source.ip': event.source.ip }),
    ...(event.causationId !== undefined && { 'event.causation_id': event.causationId }),
    payload: event.payload,
  };
  return {
    hrTime: hrTime(event.occurredAt),
    hrTimeObserved: hrTime(event.receivedAt),
    severityNumber: severityNumber(event.severity),
    severityText: event.severity,
    body: `${event.type} ${entityKey(event.entity)}`,
    eventName: event.type,
    ...(event.traceId && {
      // The trail keeps no trace flags: 0 (not sampled) is "unknown" here, and no flags field is written.
      spanContext: { traceId: event.traceId, spanId: event.spanId ?? '', traceFlags: 0 },
    }),
    resource,
    instrumentationScope: scope,
    // Nested payload values are OTLP AnyValue maps and arrays (LogAttributes allows them; Attributes' type does not).
    attributes: attributes as ReadableLogRecord['attributes'],
    droppedAttributesCount: 0,
  };
}
