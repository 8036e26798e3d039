import type { SequencedEvent, SinkClient } from '../../core/ports/streams.ts';
import { WEBHOOK_HEADERS, webhookBody, webhookSignature } from '../../core/streams/webhook.ts';
import { postToSink } from './http-post.ts';

/** A generic HTTPS webhook: the batch as JSON, signed with HMAC-SHA256 over the timestamp and the body. */
export class WebhookClient implements SinkClient {
  constructor(
    private readonly sink: string,
    private readonly url: string,
    private readonly key: string,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  deliver(events: readonly SequencedEvent[]) {
    const body = webhookBody(events);
    const timestamp = this.nowSeconds();
    return postToSink(this.url, body, {
      'content-type': 'application/json',
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.signature]: webhookSignature(this.key, timestamp, body),
      [WEBHOOK_HEADERS.delivery]: `${this.sink}:${events[0]?.seq}-${events.at(-1)?.seq}`,
    });
  }
}
