import type { LogEntry, SequencedEvent, SinkClient, SinkSession, SinkStore } from '../ports/streams.ts';
import { backoffMs } from './delivery.ts';

export const DEFAULT_SINK_BATCH = 100;

export interface ForwardOptions {
  sink: string;
  /** Events per request. */
  batchSize?: number;
  /** Stop starting requests after this many milliseconds (the round's time bound). */
  maxRoundMs?: number;
}

export interface ForwardDeps {
  store: SinkStore;
  client: SinkClient;
  clock: () => Date;
  random?: () => number;
}

/** What one round did for one sink. */
export interface ForwardResult {
  sink: string;
  /** busy: another forwarder holds the sink; backoff: a failure's wait is not over; else the round ran. */
  state: 'ran' | 'busy' | 'backoff';
  delivered: number;
  deadLettered: number;
  /** The failure that ended the round, if one did. */
  failure?: string;
  /** The cursor when the round ended. */
  nextSeq?: number;
  /** No sealed event was left to deliver. */
  caughtUp: boolean;
}

/**
 * One round of at-least-once delivery to one sink, in log order: from the cursor, batches of sealed events go out one
 * request at a time and the cursor moves past a batch only once the sink took it (2xx), so a crash between the two
 * resends that batch, never skips it. A retryable failure (5xx, 429, a refused connection) ends the round and backs
 * off (the cursor stays); a batch the sink refuses for good (another 4xx) is sent again one event per request, so
 * only the events the sink refuses alone are dead-lettered and the others are delivered, still in order. An event no
 * longer in PostgreSQL (its month archived before the sink took it) is dead-lettered too: no seq is skipped silently.
 */
export async function forwardRound(deps: ForwardDeps, options: ForwardOptions): Promise<ForwardResult> {
  const { sink } = options;
  const result: ForwardResult = { sink, state: 'ran', delivered: 0, deadLettered: 0, caughtUp: false };
  const held = await deps.store.withSink(sink, async (session) => {
    const cursor = await session.cursor();
    if (cursor.retryAt && cursor.retryAt > deps.clock()) {
      result.state = 'backoff';
      result.nextSeq = cursor.nextSeq;
      return true;
    }
    const deadline = deps.clock().getTime() + (options.maxRoundMs ?? 30_000);
    const fail = async (reason: string) => {
      result.failure = reason;
      const wait = backoffMs(cursor.failures + 1, (deps.random ?? Math.random)());
      await session.failed(reason, new Date(deps.clock().getTime() + wait));
    };
    let next = cursor.nextSeq;
    while (deps.clock().getTime() < deadline) {
      const entries = await session.read(next, options.batchSize ?? DEFAULT_SINK_BATCH);
      if (entries.length === 0) {
        result.caughtUp = true;
        break;
      }
      const outcome = await deliverEntries(deps.client, session, entries, result);
      next = outcome.next;
      if (outcome.failure) {
        await fail(outcome.failure);
        break;
      }
    }
    result.nextSeq = next;
    return true;
  });
  if (!held) result.state = 'busy';
  return result;
}

/** Delivers entries in order; stops at the first retryable failure, returning where the cursor stands. */
async function deliverEntries(
  client: SinkClient,
  session: SinkSession,
  entries: readonly LogEntry[],
  result: ForwardResult,
  onePerRequest = false,
): Promise<{ next: number; failure?: string }> {
  let next = entries[0]?.seq ?? 0;
  // Runs of events that are still in PostgreSQL, each a request; an archived one between them is set aside alone.
  for (const run of runs(entries, onePerRequest)) {
    if (!Array.isArray(run)) {
      await session.deadLetter(run, 'the event is no longer in PostgreSQL (archived) and was not delivered');
      result.deadLettered++;
      next = run.seq + 1;
      continue;
    }
    const answer = await client.deliver(run);
    if (answer.ok) {
      next = run.at(-1)!.seq + 1;
      await session.delivered(next);
      result.delivered += run.length;
      continue;
    }
    if (answer.retry) return { next, failure: answer.reason };
    if (run.length === 1) {
      await session.deadLetter({ seq: run[0]!.seq, eventId: run[0]!.event.id }, answer.reason);
      result.deadLettered++;
      next = run[0]!.seq + 1;
      continue;
    }
    // Refused as a batch: one event at a time finds the ones refused alone.
    const alone = await deliverEntries(
      client,
      session,
      run.map(({ seq, event }) => ({ seq, eventId: event.id, event })),
      result,
      true,
    );
    next = alone.next;
    if (alone.failure) return alone;
  }
  return { next };
}

/** Consecutive entries with events as one array each (or each alone); an entry without an event on its own. */
function* runs(entries: readonly LogEntry[], onePerRequest: boolean): Generator<SequencedEvent[] | LogEntry> {
  let run: SequencedEvent[] = [];
  for (const entry of entries) {
    if (entry.event && onePerRequest) yield [{ seq: entry.seq, event: entry.event }];
    else if (entry.event) run.push({ seq: entry.seq, event: entry.event });
    if (entry.event) continue;
    if (run.length > 0) yield run;
    run = [];
    yield entry;
  }
  if (run.length > 0) yield run;
}
