import { z } from 'zod';
import { type StoredEvent, storedEventSchema } from '../domain/event.ts';
import type { DeadLetterMessage, DeadLetterQueue, EventWriter } from '../ports/events.ts';
import { deadEventMessage, deadMessage } from './dead-letter.ts';

/** One SQS FIFO record as the writer needs it. */
export interface QueueRecord {
  messageId: string;
  groupId: string;
  deduplicationId: string;
  body: string;
}

export interface WriteBatchDeps {
  store: EventWriter;
  deadLetters: DeadLetterQueue;
  /**
   * Runs after a record's events are stored (e.g. publishing CRITICAL alerts). If it throws, the record is reported
   * failed so SQS redelivers it: the insert is then a no-op and the step runs again (at least once). It runs for
   * every stored record, new or redelivered: the store tells a redelivered event from a new one, but not whether
   * this step already succeeded for it, and skipping it on redelivery would drop exactly the retries it relies on.
   */
  afterStored?: (events: readonly StoredEvent[]) => Promise<void>;
  log?: (level: 'warn' | 'error', message: string, details: Record<string, unknown>) => void;
}

export interface WriteBatchOutcome {
  /** Records to report as batchItemFailures: SQS redelivers them (and redrives to the DLQ after maxReceiveCount). */
  failedMessageIds: string[];
  /** Events of records now safely in the store (new or already there). */
  stored: StoredEvent[];
  /**
   * The events this call inserted: `stored` without those already there (a redelivery, a resend). What the
   * Events metrics count, so a redelivered event is counted once.
   */
  inserted: StoredEvent[];
  /**
   * What was parked in the DLQ because it can never be stored: an event the store refused (with its id and index in
   * the record; the record's other events were stored), or a record that cannot be parsed, whole.
   */
  poisoned: { messageId: string; reason: string; eventId?: string; eventIndex?: number }[];
}

/** The body of an events-queue message, as the writer takes it (also what `trail dlq redrive` checks before resending). */
export const messageBodySchema = z.strictObject({ events: z.array(storedEventSchema).min(1) });

/** A record's events, parsed, and as received (what a dead letter carries). */
type Parsed = { record: QueueRecord; events: StoredEvent[]; received: readonly unknown[] };

/**
 * Writes one SQS FIFO batch. All events go in with one insert; when that fails, records are retried one by one in
 * order, and once a record of a group fails, every later record of that group is failed too, so each entity's
 * events are stored in order. What can never be stored goes to the DLQ with the reason, not back to the queue: a
 * record that cannot be parsed whole; of a record the store refuses, only the events it refuses one at a time.
 */
export async function writeBatch(records: readonly QueueRecord[], deps: WriteBatchDeps): Promise<WriteBatchOutcome> {
  const outcome: WriteBatchOutcome = { failedMessageIds: [], stored: [], inserted: [], poisoned: [] };
  const parsed: Parsed[] = [];
  for (const record of records) {
    const problem = parseRecord(record);
    if (typeof problem === 'string') await park(record, problem, deps, outcome);
    else parsed.push(problem);
  }
  if (parsed.length === 0) return outcome;

  const stored = await insertInOrder(parsed, deps, outcome);
  await runAfterStored(stored, deps, outcome);
  return outcome;
}

/** One insert for the batch; if it fails, record by record, failing the rest of a group after a failed record. */
async function insertInOrder(parsed: Parsed[], deps: WriteBatchDeps, outcome: WriteBatchOutcome): Promise<Parsed[]> {
  try {
    outcome.inserted.push(...(await deps.store.insert(parsed.flatMap((p) => p.events))));
    return parsed;
  } catch (error) {
    deps.log?.('warn', 'batch insert failed; retrying record by record', {
      error: describe(error),
      records: parsed.length,
    });
  }
  const stored: Parsed[] = [];
  const blockedGroups = new Set<string>();
  for (const item of parsed) {
    if (blockedGroups.has(item.record.groupId)) {
      outcome.failedMessageIds.push(item.record.messageId);
      continue;
    }
    let result: EventByEvent;
    try {
      outcome.inserted.push(...(await deps.store.insert(item.events)));
      result = { status: 'stored', events: item.events };
    } catch (error) {
      if (isPermanentDataError(error)) {
        deps.log?.('warn', 'the store refused a record; retrying its events one at a time', {
          messageId: item.record.messageId,
          error: describe(error),
        });
        result = await insertEventByEvent(item, error, deps, outcome);
      } else {
        deps.log?.('error', 'record could not be stored; SQS will redeliver it', {
          messageId: item.record.messageId,
          error: describe(error),
        });
        result = { status: 'transient' };
      }
    }
    if (result.status === 'stored') {
      if (result.events.length > 0) stored.push({ ...item, events: result.events });
      continue;
    }
    outcome.failedMessageIds.push(item.record.messageId);
    // A transient failure keeps the entity's later events from jumping ahead. An event that could not be
    // dead-lettered does not: it will never be stored, so the order of what is stored does not depend on it.
    if (result.status === 'transient') blockedGroups.add(item.record.groupId);
  }
  return stored;
}

type EventByEvent =
  /** Every event is stored or dead-lettered; `events` are the stored ones, in order. */
  | { status: 'stored'; events: StoredEvent[] }
  /** An event failed transiently: the events after it were not tried; SQS must redeliver the record. */
  | { status: 'transient' }
  /** A refused event could not be sent to the DLQ: SQS must redeliver the record. */
  | { status: 'not-dead-lettered' };

/**
 * A record the store refused: its events one at a time, in order. Each event the store takes is stored; each it
 * refuses goes to the DLQ alone, with the reason and the record's message id, so one bad event does not take the
 * good ones packed with it. A transient failure stops there (the later events must not jump ahead of it).
 */
async function insertEventByEvent(
  item: Parsed,
  recordError: unknown,
  deps: WriteBatchDeps,
  outcome: WriteBatchOutcome,
): Promise<EventByEvent> {
  const storedEvents: StoredEvent[] = [];
  let allDeadLettered = true;
  for (const [index, event] of item.events.entries()) {
    try {
      // A record of one event was just refused as it is: no need to ask again.
      if (item.events.length === 1) throw recordError;
      outcome.inserted.push(...(await deps.store.insert([event])));
      storedEvents.push(event);
    } catch (error) {
      if (!isPermanentDataError(error)) {
        deps.log?.('error', 'event could not be stored; SQS will redeliver its record', {
          messageId: item.record.messageId,
          eventId: event.id,
          error: describe(error),
        });
        return { status: 'transient' };
      }
      const dead = {
        reason: `the store refused the event: ${describe(error)}`,
        sqlState: (error as { code: string }).code,
        messageId: item.record.messageId,
        groupId: item.record.groupId,
        eventIndex: index,
        event: item.received[index] as StoredEvent,
      };
      const sent = await sendDeadLetter(deadEventMessage(dead), deps, {
        messageId: dead.messageId,
        eventId: event.id,
        eventIndex: index,
        reason: dead.reason,
      });
      if (sent)
        outcome.poisoned.push({ messageId: dead.messageId, eventId: event.id, eventIndex: index, reason: dead.reason });
      else allDeadLettered = false;
    }
  }
  return allDeadLettered ? { status: 'stored', events: storedEvents } : { status: 'not-dead-lettered' };
}

async function runAfterStored(stored: Parsed[], deps: WriteBatchDeps, outcome: WriteBatchOutcome): Promise<void> {
  const blockedGroups = new Set<string>();
  for (const item of stored) {
    outcome.stored.push(...item.events);
    if (!deps.afterStored) continue;
    if (blockedGroups.has(item.record.groupId)) {
      outcome.failedMessageIds.push(item.record.messageId);
      continue;
    }
    try {
      await deps.afterStored(item.events);
    } catch (error) {
      deps.log?.('error', 'post-store step failed; SQS will redeliver the record', {
        messageId: item.record.messageId,
        error: describe(error),
      });
      blockedGroups.add(item.record.groupId);
      outcome.failedMessageIds.push(item.record.messageId);
    }
  }
}

function parseRecord(record: QueueRecord): Parsed | string {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch (error) {
    return `body is not JSON: ${(error as Error).message}`;
  }
  const body = messageBodySchema.safeParse(json);
  if (!body.success) {
    const issue = body.error.issues[0];
    return `body is not a batch of valid events: ${issue?.path.join('.') || '(body)'}: ${issue?.message}`;
  }
  return { record, events: body.data.events, received: (json as { events: unknown[] }).events };
}

/** A record that cannot be parsed goes to the DLQ whole, with the reason; if it cannot, SQS redelivers it. */
async function park(
  record: QueueRecord,
  reason: string,
  deps: WriteBatchDeps,
  outcome: WriteBatchOutcome,
): Promise<void> {
  const sent = await sendDeadLetter(deadMessage({ ...record, reason }), deps, { messageId: record.messageId, reason });
  if (sent) outcome.poisoned.push({ messageId: record.messageId, reason });
  else outcome.failedMessageIds.push(record.messageId);
}

/** Sends one dead letter; false if the DLQ did not take it (the caller has SQS redeliver the record). */
async function sendDeadLetter(
  message: DeadLetterMessage,
  deps: WriteBatchDeps,
  details: Record<string, unknown>,
): Promise<boolean> {
  try {
    await deps.deadLetters.sendPoison(message);
    deps.log?.('error', 'can never be stored; moved to the dead-letter queue', details);
    return true;
  } catch (error) {
    // Could not park it: let SQS redeliver; its redrive policy still moves it to the DLQ after maxReceiveCount.
    deps.log?.('error', 'could not move a poison message to the DLQ', { ...details, error: describe(error) });
    return false;
  }
}

/**
 * What PostgreSQL refuses the same way on every retry: data exceptions (class 22), a failed CHECK constraint (23514
 * naming its constraint; without one it is a missing partition, which the store creates) and program limits (54).
 */
function isPermanentDataError(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (typeof code !== 'string') return false;
  return code.startsWith('22') || code.startsWith('54') || (code === '23514' && typeof constraint === 'string');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
