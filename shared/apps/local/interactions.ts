import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsEventQueue } from '../../adapters/sqs/sqs-queue.ts';
import type { EventCatalog } from '../../core/domain/catalog.ts';
import type { Interaction } from '../../core/interactions/interaction.ts';
import { QueueInteractionLog } from '../../core/interactions/interaction-log.ts';

/** How often the summaries of finished minutes are written. */
const FLUSH_EVERY_MS = 5_000;

export interface LocalInteractionLog {
  /** For the local API's onInteraction: a record that cannot be queued is logged, never fails the response. */
  record(interaction: Interaction): void;
  /** Writes what is still held; call after the API has stopped, before the queue does. */
  stop(): Promise<void>;
}

/** The local API's interaction log, on the events queue like every other event. */
export function startLocalInteractionLog(
  wiring: { sqs: SQSClient; queueUrl: string; catalog: EventCatalog },
  log: (message: string) => void,
): LocalInteractionLog {
  const interactions = new QueueInteractionLog(new SqsEventQueue(wiring.sqs, wiring.queueUrl), wiring.catalog);
  const failed = (error: unknown) => log(`API interaction record not queued: ${String(error)}`);
  const timer = setInterval(() => interactions.flushDue().catch(failed), FLUSH_EVERY_MS);
  timer.unref();
  return {
    record: (interaction) => {
      interactions.record(interaction).catch(failed);
    },
    async stop() {
      clearInterval(timer);
      await interactions.drain().catch(failed);
    },
  };
}
