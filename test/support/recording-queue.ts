import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { QueueMessageBody } from '../../shared/core/ingest/packing.ts';
import type { EventQueue, QueueMessage } from '../../shared/core/ports/events.ts';

/** A queue that keeps what it is sent (or, with `failWith`, refuses every send), for ingest tests. */
export function recordingQueue(
  failWith?: Error,
): EventQueue & { messages: QueueMessage[]; calls: number; events(): StoredEvent[] } {
  return {
    messages: [],
    calls: 0,
    async send(messages) {
      this.calls++;
      if (failWith) throw failWith;
      this.messages.push(...messages);
    },
    events() {
      return this.messages.flatMap((m) => (JSON.parse(m.body) as QueueMessageBody).events);
    },
  };
}
