import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { SequencedEvent, SinkClient } from '../../core/ports/streams.ts';
import { postToSink } from '../sinks/http-post.ts';
import { otlpResource, toLogRecord } from './log-records.ts';

export const OTLP_LOGS_PATH = '/v1/logs';

/** The collector's logs endpoint: `<base>/v1/logs`, or the URL as given when it already ends so. */
export function otlpLogsUrl(url: string): string {
  const parsed = new URL(url);
  if (!parsed.pathname.endsWith(OTLP_LOGS_PATH))
    parsed.pathname = `${parsed.pathname.replace(/\/$/, '')}${OTLP_LOGS_PATH}`;
  return parsed.toString();
}

/** The batch as an ExportLogsServiceRequest, encoded by OpenTelemetry's own serializers. */
export function encodeOtlpLogs(
  events: readonly SequencedEvent[],
  encoding: 'protobuf' | 'json',
  resource: Resource,
): Uint8Array {
  const records = events.map((event) => toLogRecord(event, resource));
  const bytes = (encoding === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer).serializeRequest(records);
  if (!bytes) throw new Error('the OTLP serializer produced no request');
  return bytes;
}

/**
 * OTLP/HTTP logs (`POST /v1/logs`), protobuf (`application/x-protobuf`, the OTLP default) or JSON. A partial success
 * (200 with rejectedLogRecords) counts as delivered: the specification forbids retrying it.
 */
export class OtlpLogsClient implements SinkClient {
  private readonly endpoint: string;
  private readonly resource: Resource;

  constructor(
    url: string,
    private readonly encoding: 'protobuf' | 'json',
    serviceName: string,
  ) {
    this.endpoint = otlpLogsUrl(url);
    this.resource = otlpResource(serviceName);
  }

  deliver(events: readonly SequencedEvent[]) {
    return postToSink(this.endpoint, encodeOtlpLogs(events, this.encoding, this.resource), {
      'content-type': this.encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    });
  }
}
