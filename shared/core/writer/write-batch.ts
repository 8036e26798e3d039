import { z } from 'zod';
import { type StoredEvent, storedEventSchema } from '../domain/event.ts';
import type { DeadLetterMessage, DeadLetterQueue, EventWriter, IdConflict, WriteResult } from '../ports/events.ts';
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
   * What was parked in the DLQ because it can never be stored: an event the store refused, or one under an id that
   * already names another event (with its id and index in the record; the record's other events were stored), or a
   * record that cannot be parsed, whole.
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

/** One write for the batch; if it fails, record by record, failing the rest of a group after a failed record. */
async function insertInOrder(parsed: Parsed[], deps: WriteBatchDeps, outcome: WriteBatchOutcome): Promise<Parsed[]> {
  let whole: WriteResult | undefined;
  try {
    whole = await deps.store.write(parsed.flatMap((p) => p.events));
  } catch (error) {
    deps.log?.('warn', 'batch insert failed; retrying record by record', {
      error: describe(error),
      records: parsed.length,
    });
  }
  if (whole) {
    outcome.inserted.push(...whole.inserted);
    const stored: Parsed[] = [];
    let offset = 0;
    for (const item of parsed) {
      const end = offset + item.events.length;
      const own = whole.conflicts.filter((c) => c.index >= offset && c.index < end);
      const result = await refuseConflicts(
        item,
        own.map((c) => ({ ...c, index: c.index - offset })),
        deps,
        outcome,
      );
      offset = end;
      keep(item, result, stored, outcome);
    }
    return stored;
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
      const written = await deps.store.write(item.events);
      outcome.inserted.push(...written.inserted);
      result = await refuseConflicts(item, written.conflicts, deps, outcome);
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
    keep(item, result, stored, outcome);
    // A transient failure keeps the entity's later events from jumping ahead. An event that could not be
    // dead-lettered does not: it will never be stored, so the order of what is stored does not depend on it.
    if (result.status === 'transient') blockedGroups.add(item.record.groupId);
  }
  return stored;
}

/** A record's outcome: its stored events go on to the post-store step; a record not fully handled is failed. */
function keep(item: Parsed, result: EventByEvent, stored: Parsed[], outcome: WriteBatchOutcome): void {
  if (result.status === 'stored') {
    if (result.events.length > 0) stored.push({ ...item, events: result.events });
  } else outcome.failedMessageIds.push(item.record.messageId);
}

type EventByEvent =
  /** Every event is stored or dead-lettered; `events` are the stored ones, in order. */
  | { status: 'stored'; events: StoredEvent[] }
  /** An event failed transiently: the events after it were not tried; SQS must redeliver the record. */
  | { status: 'transient' }
  /** A refused event could not be sent to the DLQ: SQS must redeliver the record. */
  | { status: 'not-dead-lettered' };

/**
 * PostgreSQL's unique_violation: what an event under an id that already names another event is, though the store
 * reports it as data (the id's key in `event_ids`, migration 008) instead of failing the batch.
 */
export const ID_CONFLICT_SQLSTATE = '23505';

/** Why an event under a used id is refused, for people reading the DLQ. */
export function idConflictReason(eventId: string, storedOccurredAt: string): string {
  return (
    `id ${eventId} is already stored with different content (the stored event occurred at ${storedOccurredAt}): ` +
    'an id names one event, forever; send a new event under a new id'
  );
}

/**
 * The events of a record written in one go, save those whose id names another event: each of those goes to the DLQ
 * alone, with the reason. Its redelivery would be refused the same way, so the record's stored events are kept.
 */
async function refuseConflicts(
  item: Parsed,
  conflicts: readonly IdConflict[],
  deps: WriteBatchDeps,
  outcome: WriteBatchOutcome,
): Promise<EventByEvent> {
  if (conflicts.length === 0) return { status: 'stored', events: item.events };
  const refused = new Set<number>();
  let allDeadLettered = true;
  for (const conflict of conflicts) {
    refused.add(conflict.index);
    const event = item.events[conflict.index]!;
    const reason = idConflictReason(event.id, conflict.storedOccurredAt);
    if (!(await deadLetterEvent(item, conflict.index, reason, ID_CONFLICT_SQLSTATE, deps, outcome)))
      allDeadLettered = false;
  }
  if (!allDeadLettered) return { status: 'not-dead-lettered' };
  return { status: 'stored', events: item.events.filter((_, index) => !refused.has(index)) };
}

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
    let reason: string;
    let sqlState: string;
    try {
      // A record of one event was just refused as it is: no need to ask again.
      if (item.events.length === 1) throw recordError;
      const written = await deps.store.write([event]);
      outcome.inserted.push(...written.inserted);
      const conflict = written.conflicts[0];
      if (conflict === undefined) {
        storedEvents.push(event);
        continue;
      }
      reason = idConflictReason(event.id, conflict.storedOccurredAt);
      sqlState = ID_CONFLICT_SQLSTATE;
    } catch (error) {
      if (!isPermanentDataError(error)) {
        deps.log?.('error', 'event could not be stored; SQS will redeliver its record', {
          messageId: item.record.messageId,
          eventId: event.id,
          error: describe(error),
        });
        return { status: 'transient' };
      }
      reason = `the store refused the event: ${describe(error)}`;
      sqlState = (error as { code: string }).code;
    }
    if (!(await deadLetterEvent(item, index, reason, sqlState, deps, outcome))) allDeadLettered = false;
  }
  return allDeadLettered ? { status: 'stored', events: storedEvents } : { status: 'not-dead-lettered' };
}

/** Sends one event of a record to the DLQ as it was received; false if the DLQ did not take it. */
async function deadLetterEvent(
  item: Parsed,
  index: number,
  reason: string,
  sqlState: string,
  deps: WriteBatchDeps,
  outcome: WriteBatchOutcome,
): Promise<boolean> {
  const { messageId, groupId } = item.record;
  const eventId = item.events[index]!.id;
  const message = deadEventMessage({
    reason,
    sqlState,
    messageId,
    groupId,
    eventIndex: index,
    event: item.received[index] as StoredEvent,
  });
  const sent = await sendDeadLetter(message, deps, { messageId, eventId, eventIndex: index, reason });
  if (sent) outcome.poisoned.push({ messageId, eventId, eventIndex: index, reason });
  return sent;
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
