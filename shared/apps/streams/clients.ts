import { OtlpLogsClient } from '../../adapters/otlp/otlp-client.ts';
import { SplunkHecClient } from '../../adapters/sinks/splunk-hec.ts';
import { WebhookClient } from '../../adapters/sinks/webhook.ts';
import type { SinkClient } from '../../core/ports/streams.ts';
import { SECRET_SINK_KINDS, type SinkSpec } from '../../core/streams/sinks.ts';

/** Reads a sink's secret (the HEC token, the webhook's HMAC key): Secrets Manager on AWS, DATA_DIR or env locally. */
export type SinkSecrets = (sink: SinkSpec) => Promise<string>;

/** The transport of one configured sink, with its secret read when its kind needs one. */
export async function sinkClient(sink: SinkSpec, secrets: SinkSecrets, serviceName: string): Promise<SinkClient> {
  const secret = SECRET_SINK_KINDS.includes(sink.kind) ? await secrets(sink) : '';
  switch (sink.kind) {
    case 'otlp':
      return new OtlpLogsClient(sink.url, 'protobuf', serviceName);
    case 'otlp-json':
      return new OtlpLogsClient(sink.url, 'json', serviceName);
    case 'splunk':
      return new SplunkHecClient(sink.url, secret);
    case 'webhook':
      return new WebhookClient(sink.name, sink.url, secret);
  }
}
