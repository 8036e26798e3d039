import { CRITICAL_ALERT_TOPIC } from '../contracts/alerts.ts';
import type { StoredEvent } from '../domain/event.ts';
import type { AlertPublisher } from '../ports/alerts.ts';

/**
 * Publishes each CRITICAL event, in order, as its JSON. Every event is attempted even when one fails;
 * failures are then thrown together so the caller can retry the batch. Resolves to the number published.
 */
export async function publishCriticalAlerts(
  events: readonly StoredEvent[],
  publisher: AlertPublisher,
  topic: string = CRITICAL_ALERT_TOPIC,
): Promise<number> {
  const critical = events.filter((event) => event.severity === 'CRITICAL');
  const failures: unknown[] = [];
  for (const event of critical) {
    try {
      await publisher.publish(topic, JSON.stringify(event));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} of ${critical.length} critical alerts were not published`);
  }
  return critical.length;
}
