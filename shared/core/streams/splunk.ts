import type { SequencedEvent } from '../ports/streams.ts';

/** The HEC endpoint under the collector's base URL, for JSON events. */
export const SPLUNK_HEC_PATH = '/services/collector/event';
/** The sourcetype every event carries: the trail's stored event, as JSON. */
export const SPLUNK_SOURCETYPE = 'fleet:audit:event';
export const SPLUNK_SOURCE = 'fleet-audit-trail';

/**
 * A batch as Splunk HEC's event format: one JSON object per event, concatenated (HEC's batch form), each with `time`
 * (the event's occurredAt in epoch seconds, milliseconds as decimals), `host` (who sent it: the thing name or user,
 * source.principal), `source`, `sourcetype`, and `event`: the stored event with its log seq.
 */
export function splunkHecBody(events: readonly SequencedEvent[]): string {
  return events
    .map(({ seq, event }) =>
      JSON.stringify({
        time: Date.parse(event.occurredAt) / 1000,
        host: event.source.principal,
        source: SPLUNK_SOURCE,
        sourcetype: SPLUNK_SOURCETYPE,
        event: { seq, ...event },
      }),
    )
    .join('\n');
}
