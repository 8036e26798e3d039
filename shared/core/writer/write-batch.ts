import { z } from 'zod';
import { type StoredEvent, storedEventSchema } from '../domain/event.ts';
import type { DeadLetterQueue, EventWriter } from '../ports/events.ts';

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
  /** Records parked in the DLQ because they can never be stored. */
  poisoned: { messageId: string; reason: string }[];
}

const messageBodySchema = z.strictObject({ events: z.array(storedEventSchema).min(1) });

type Parsed = { record: QueueRecord; events: StoredEvent[] };

/**
 * Writes one SQS FIFO batch. All events go in with one insert; when that fails, records are retried one by one in
 * order, and once a record of a group fails, every later record of that group is failed too, so each entity's
 * events are stored in order. Records that can never be stored go to the DLQ with the reason, not back to the queue.
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
    try {
      outcome.inserted.push(...(await deps.store.insert(item.events)));
      stored.push(item);
    } catch (error) {
      if (isPermanentDataError(error)) {
        await park(item.record, `the store refused the events: ${describe(error)}`, deps, outcome);
        continue;
      }
      deps.log?.('error', 'record could not be stored; SQS will redeliver it', {
        messageId: item.record.messageId,
        error: describe(error),
      });
      blockedGroups.add(item.record.groupId);
      outcome.failedMessageIds.push(item.record.messageId);
    }
  }
  return stored;
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
  return { record, events: body.data.events };
}

async function park(
  record: QueueRecord,
  reason: string,
  deps: WriteBatchDeps,
  outcome: WriteBatchOutcome,
): Promise<void> {
  try {
    await deps.deadLetters.sendPoison({
      groupId: record.groupId,
      deduplicationId: record.deduplicationId,
      body: record.body,
      reason,
    });
    deps.log?.('error', 'message can never be stored; moved to the dead-letter queue', {
      messageId: record.messageId,
      reason,
    });
    outcome.poisoned.push({ messageId: record.messageId, reason });
  } catch (error) {
    // Could not park it: let SQS redeliver; its redrive policy still moves it to the DLQ after maxReceiveCount.
    deps.log?.('error', 'could not move a poison message to the DLQ', {
      messageId: record.messageId,
      reason,
      error: describe(error),
    });
    outcome.failedMessageIds.push(record.messageId);
  }
}

/** PostgreSQL data exceptions (class 22) and program limits (54) fail the same way on every retry. */
function isPermanentDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
