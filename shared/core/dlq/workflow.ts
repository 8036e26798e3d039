import type { HeldMessage, HoldingQueue } from '../ports/dead-letters.ts';
import type { DeadLetterKind } from './summary.ts';

/**
 * Reads every message it can without consuming any: receives (holding each message) until nothing more comes, then
 * releases them all. Holding, not releasing page by page, is what pages past 10: a released message would be the
 * next one received. On a FIFO queue a group's messages behind a held one stay hidden, so `depth` (what the queue
 * holds) may exceed what was listed.
 */
export async function listDeadLetters(queue: HoldingQueue): Promise<{ messages: HeldMessage[]; depth: number }> {
  const depth = await queue.depth();
  const messages: HeldMessage[] = [];
  try {
    for (let batch = await queue.receive(); batch.length > 0; batch = await queue.receive()) messages.push(...batch);
  } finally {
    await queue.release(messages.map((message) => message.messageId));
  }
  return { messages, depth };
}

/** One message by id, read the same way (everything received on the way is released). */
export async function findDeadLetter(queue: HoldingQueue, messageId: string): Promise<HeldMessage | undefined> {
  const held: string[] = [];
  try {
    for (let batch = await queue.receive(); batch.length > 0; batch = await queue.receive()) {
      held.push(...batch.map((message) => message.messageId));
      const found = batch.find((message) => message.messageId === messageId);
      if (found) return found;
    }
    return undefined;
  } finally {
    await queue.release(held);
  }
}

export type RedriveOutcome =
  | { id: string; status: 'redriven'; note?: string }
  /** Left in the queue: it cannot be redriven (why), or the run stopped before it. */
  | { id: string; status: 'skipped' | 'failed' | 'not-found'; why: string };

export interface RedriveOptions<A> {
  kind: DeadLetterKind<A>;
  /** Resends one message (to the events queue, or the ingest function); throws if it did not take it. */
  resend: (action: A) => Promise<{ note?: string } | undefined>;
  /** `all`, or the DLQ message ids to redrive. */
  select: 'all' | readonly string[];
  /** Told each outcome as it happens, so a long run shows progress. */
  onOutcome?: (outcome: RedriveOutcome) => void;
}

/**
 * Redrives messages, in the order the queue hands them out (a FIFO queue: each group's in order). Each is deleted
 * from the dead-letter queue only once its resend succeeded, so a crash between the two leaves it there to be
 * redriven again (at least once, never lost). The first failed resend stops the run (the cause, a queue or function
 * that is down, would fail the rest too); what was held and not redriven is released.
 */
export async function redriveDeadLetters<A>(
  queue: HoldingQueue,
  options: RedriveOptions<A>,
): Promise<RedriveOutcome[]> {
  const wanted = options.select === 'all' ? undefined : new Set(options.select);
  const outcomes: RedriveOutcome[] = [];
  const record = (outcome: RedriveOutcome) => {
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  };
  const kept: string[] = [];
  try {
    receiving: while (!wanted || wanted.size > 0) {
      const batch = await queue.receive();
      if (batch.length === 0) break;
      for (const [index, message] of batch.entries()) {
        if (wanted && !wanted.delete(message.messageId)) {
          kept.push(message.messageId);
          continue;
        }
        const done = await redriveOne(queue, message, options);
        record(done.outcome);
        if (done.outcome.status !== 'redriven') kept.push(message.messageId);
        if (done.stop) {
          kept.push(...batch.slice(index + 1).map((rest) => rest.messageId));
          break receiving;
        }
      }
    }
  } finally {
    await queue.release(kept);
  }
  for (const id of wanted ?? [])
    record({
      id,
      status: 'not-found',
      why: 'not received: not in the queue, or (FIFO) behind earlier messages of its group, which must be redriven first',
    });
  return outcomes;
}

/** Resend, then delete; `stop` when either failed. */
async function redriveOne<A>(
  queue: HoldingQueue,
  message: HeldMessage,
  { kind, resend }: RedriveOptions<A>,
): Promise<{ outcome: RedriveOutcome; stop: boolean }> {
  const plan = kind.plan(message);
  if (!plan.ok) return { outcome: { id: message.messageId, status: 'skipped', why: plan.why }, stop: false };
  let note: string | undefined;
  try {
    note = (await resend(plan.action))?.note;
  } catch (error) {
    const why = `not resent, left in the dead-letter queue: ${(error as Error).message}`;
    return { outcome: { id: message.messageId, status: 'failed', why }, stop: true };
  }
  try {
    await queue.delete(message.messageId);
  } catch (error) {
    const why = `resent, but not deleted from the dead-letter queue (${(error as Error).message}): it is still there, and a second redrive resends it`;
    return { outcome: { id: message.messageId, status: 'failed', why }, stop: true };
  }
  return { outcome: { id: message.messageId, status: 'redriven', ...(note && { note }) }, stop: false };
}
