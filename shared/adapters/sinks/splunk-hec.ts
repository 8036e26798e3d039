import type { SequencedEvent, SinkClient } from '../../core/ports/streams.ts';
import { SPLUNK_HEC_PATH, splunkHecBody } from '../../core/streams/splunk.ts';
import { postToSink } from './http-post.ts';

/** Splunk's HTTP Event Collector: the batch as HEC JSON events, `Authorization: Splunk <token>`. */
export class SplunkHecClient implements SinkClient {
  private readonly endpoint: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.endpoint = new URL(SPLUNK_HEC_PATH, baseUrl).toString();
  }

  deliver(events: readonly SequencedEvent[]) {
    return postToSink(this.endpoint, splunkHecBody(events), {
      'content-type': 'application/json',
      authorization: `Splunk ${this.token}`,
    });
  }
}
