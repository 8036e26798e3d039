import type { HeldMessage } from '../ports/dead-letters.ts';

/** The queues `trail dlq` reads: the events DLQ, and (AWS only) the IoT ingest function's on-failure queue. */
export const DLQ_QUEUES = ['events', 'iot-failures'] as const;

/**
 * What `trail dlq list` prints for one message, whichever queue it is in.
 * - `retries`: a message the events queue's redrive policy moved after MAX_RECEIVE_COUNT receives (it kept failing
 *   transiently, e.g. the database was down), whole and unchanged.
 * - `event`: one event PostgreSQL refused, dead-lettered alone by the writer (`trail.dead-letter/1`).
 * - `message`: a message dead-lettered whole with a `reason` (the writer could not parse it).
 * - `invocation`: a Lambda on-failure record of the IoT ingest function (one device message).
 */
export interface DeadLetterSummary {
  /** The message id in the dead-letter queue: what `show` and `redrive` take. */
  id: string;
  kind: 'retries' | 'event' | 'message' | 'invocation';
  /** Why it is there, as far as the message tells. */
  reason: string;
  /** The entity key (the message group) of events, or `device:<thing>` for a device message. */
  group?: string | undefined;
  /** The device's MQTT topic (IoT only). */
  topic?: string | undefined;
  /** Ids of the events it carries (none for a device message: ids are assigned at ingest). */
  eventIds: string[];
  /** When ingest accepted its (first) event, or when the rules engine received the device message: the earliest the
   * failure can have begun. */
  acceptedAt?: string | undefined;
  /** When it reached this queue. */
  deadLetteredAt?: string | undefined;
  /** ApproximateReceiveCount, listing included. */
  receives: number;
  /** The SQS message id it first came in (writer dead letters), or the Lambda request id (IoT). */
  originalId?: string | undefined;
  /** Whether `redrive` can resend it, and if not, why. */
  redrivable: boolean;
  notRedrivable?: string | undefined;
}

/** What `redrive` does with one message: the action to take, or why there is none. */
export type RedrivePlan<A> = { ok: true; action: A } | { ok: false; why: string };

/** How one kind of dead-letter queue is read and redriven. */
export interface DeadLetterKind<A> {
  describe(message: HeldMessage): DeadLetterSummary;
  plan(message: HeldMessage): RedrivePlan<A>;
  /** The message whole, for `show`: the summary, the body (parsed when it is JSON) and the attributes. */
  show(message: HeldMessage): Record<string, unknown>;
}

/** The body as JSON when it is JSON, else the text itself. */
export function bodyForShow(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
