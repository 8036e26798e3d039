import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createWriterHandler } from '../../shared/apps/writer.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { packEvents } from '../../shared/core/ingest/packing.ts';
import type { AlertPublisher } from '../../shared/core/ports/alerts.ts';
import type { DeadLetterQueue, EventWriter } from '../../shared/core/ports/events.ts';
import { eventAbout } from '../support/events.ts';
import { recordingMetrics } from '../support/metrics.ts';
import { sqsRecord } from '../support/sqs-records.ts';

/** In-memory ports: a store that skips an id it holds (as PostgreSQL does), a DLQ nothing reaches here. */
function memoryStore() {
  const ids = new Set<string>();
  const store: EventWriter = {
    async write(events) {
      const fresh: StoredEvent[] = [];
      for (const event of events) {
        if (ids.has(event.id)) continue;
        ids.add(event.id);
        fresh.push(event);
      }
      return { inserted: fresh, conflicts: [] };
    },
  };
  return { store, ids };
}
const deadLetters: DeadLetterQueue = {
  sendPoison: async () => {
    throw new Error('no poison in these tests');
  },
};

const delivery = (events: StoredEvent[]): SQSEvent => ({
  Records: packEvents(events).map((message, i) => sqsRecord(message.body, message.groupId, `m-${events[0]!.id}-${i}`)),
});

describe('writer metrics count what was inserted, not what was delivered', () => {
  it('a redelivered batch adds no Events or EventsByType counts', async () => {
    const { metrics, take } = recordingMetrics();
    const handler = createWriterHandler({ ...memoryStore(), deadLetters, metrics });
    const events = [
      eventAbout('robot:a', { severity: 'CRITICAL', type: 'robot.offline' }),
      eventAbout('robot:a', { severity: 'INFO', type: 'robot.online' }),
      eventAbout('sensor:b', { severity: 'INFO', type: 'robot.online' }),
    ];
    const batch = delivery(events);
    expect((await handler(batch)).batchItemFailures).toEqual([]);
    expect(take()).toEqual({
      'Events{severity=CRITICAL}': 1,
      'Events{severity=INFO}': 2,
      'EventsByType{type=robot.offline}': 1,
      'EventsByType{type=robot.online}': 2,
    });

    expect((await handler(batch)).batchItemFailures).toEqual([]);
    expect(take()).toEqual({});

    // Redelivered and new together: only the new one counts.
    const late = eventAbout('sensor:b', { severity: 'WARNING', type: 'sensor.threshold.breached' });
    await handler({ Records: [...batch.Records, ...delivery([late]).Records] });
    expect(take()).toEqual({ 'Events{severity=WARNING}': 1, 'EventsByType{type=sensor.threshold.breached}': 1 });
  });

  it('a CRITICAL event whose alert failed counts once, and its alert is published on the redelivery', async () => {
    const { metrics, take } = recordingMetrics();
    const published: string[] = [];
    let attempts = 0;
    const alerts: AlertPublisher = {
      async publish(_topic, payload) {
        if (++attempts === 1) throw new Error('IoT throttled');
        published.push(JSON.parse(payload).id);
      },
    };
    const handler = createWriterHandler({ ...memoryStore(), deadLetters, alerts, metrics });
    const critical = eventAbout('robot:c', { severity: 'CRITICAL' });
    const batch = delivery([critical]);

    const first = await handler(batch);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]!.messageId }]);
    expect(take()).toEqual({ 'Events{severity=CRITICAL}': 1, 'EventsByType{type=robot.online}': 1 });
    expect(published).toEqual([]);

    // SQS redelivers: the insert is a no-op, so nothing is counted again, but the alert is still owed.
    expect((await handler(batch)).batchItemFailures).toEqual([]);
    expect(take()).toEqual({});
    expect(published).toEqual([critical.id]);
  });
});
