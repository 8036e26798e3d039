import type { EventCatalog } from '../domain/catalog.ts';
import { type Actor, actorSchema } from '../domain/event.ts';
import { acceptEvents } from '../ingest/accept.ts';
import { type Clock, type EventQueue, systemClock } from '../ports/events.ts';
import type { InteractionLog } from '../ports/interactions.ts';
import { FailureSummarizer } from './flood.ts';
import { clientText, type Interaction, type InteractionRecord, interactionEvent } from './interaction.ts';

const ANONYMOUS: Actor = { type: 'service', id: 'anonymous' };

/**
 * Writes the API-interaction log through the queue, as `audit.api.request` events on the `internal` channel (only the
 * trail may emit them), so they are stored, partitioned, archived and queried like every event. Identical failures
 * are summarized per minute (FailureSummarizer): call `flushDue` every few seconds and `drain` on stop.
 */
export class QueueInteractionLog implements InteractionLog {
  private readonly summarizer: FailureSummarizer;

  constructor(
    private readonly queue: EventQueue,
    private readonly catalog: EventCatalog,
    private readonly clock: Clock = systemClock,
    maxBursts?: number,
  ) {
    this.summarizer = new FailureSummarizer(maxBursts);
  }

  async record(interaction: Interaction): Promise<void> {
    await this.write(this.summarizer.offer(interaction));
  }

  /** Writes the summaries of bursts whose minute is over. */
  async flushDue(): Promise<void> {
    await this.write(this.summarizer.due(this.clock()));
  }

  /** Writes every summary still held. */
  async drain(): Promise<void> {
    await this.write(this.summarizer.drain());
  }

  private async write(records: readonly InteractionRecord[]): Promise<void> {
    for (const record of records) {
      const user = record.principal?.user;
      const actor = user !== undefined ? actorSchema.safeParse({ type: 'user', id: user }) : undefined;
      const result = await acceptEvents(
        [interactionEvent(record)],
        {
          catalog: this.catalog,
          receivedAt: this.clock(),
          // A user name that is no valid actor id is still named in the payload.
          actor: actor?.success ? actor.data : ANONYMOUS,
          roles: [],
          source: {
            channel: 'internal',
            principal: user !== undefined ? clientText(user, 256) || 'anonymous' : 'anonymous',
            ...(record.sourceIp && { ip: clientText(record.sourceIp, 64) }),
          },
        },
        this.queue,
      );
      if (!result.ok)
        throw new Error(
          `audit.api.request record of ${record.method} ${record.route} (${record.status}) is invalid: ${result.issues
            .map((i) => `${i.path}: ${i.message}`)
            .join('; ')}`,
        );
    }
  }
}
