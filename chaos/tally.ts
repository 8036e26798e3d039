import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import pg from 'pg';
import { openLocalArchiveQuery } from '../shared/adapters/duckdb/local-query.ts';
import { LOCAL_DEAD_LETTER_QUEUE_NAME } from '../shared/apps/local/sqs.ts';
import { readDeadLetter } from '../shared/core/writer/dead-letter.ts';
import type { Ledger } from './ledger.ts';

/** How often each id is held where: PostgreSQL rows, archived rows, events inside DLQ messages. */
export interface Holdings {
  postgres: Map<string, number>;
  archive: Map<string, number>;
  deadLetters: Map<string, number>;
  /** DLQ messages whose body names no event id (not ours to interpret). */
  unreadableDeadLetters: number;
}

export async function postgresIds(ownerUrl: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'chaos:tally' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; n: string }>(
      'SELECT id::text AS id, count(*) AS n FROM events GROUP BY id',
    );
    return new Map(rows.map((row) => [row.id, Number(row.n)]));
  } finally {
    await client.end();
  }
}

/** The archive as an auditor's query sees it: every Parquet file under the archive folder (DuckDB). */
export async function archiveIds(archiveRoot: string, workDir: string): Promise<Map<string, number>> {
  const engine = await openLocalArchiveQuery(archiveRoot, workDir);
  try {
    const { rows } = await engine.run('SELECT id, count(*) FROM events GROUP BY id');
    return new Map(rows.map(([id, n]) => [String(id).toLowerCase(), Number(n)]));
  } finally {
    await engine.close();
  }
}

/**
 * The event ids inside the DLQ's messages, read through the stack's SQS endpoint without consuming them: received
 * with a visibility timeout, then released. A FIFO receive holds back the rest of a group while its messages are in
 * flight, so a group with more than one receive's worth could be under-counted: that errs towards "lost", never hides
 * a loss.
 */
export async function deadLetterIds(sqsUrl: string): Promise<{ ids: Map<string, number>; unreadable: number }> {
  const client = new SQSClient({
    endpoint: sqsUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = `${sqsUrl}/000000000000/${LOCAL_DEAD_LETTER_QUEUE_NAME}`;
  const ids = new Map<string, number>();
  const held: Message[] = [];
  let unreadable = 0;
  try {
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 120,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) empty += 1;
      for (const message of Messages) {
        held.push(message);
        const found = idsInDeadLetter(message);
        if (found.length === 0) unreadable += 1;
        for (const id of found) ids.set(id, (ids.get(id) ?? 0) + 1);
      }
    }
    for (let i = 0; i < held.length; i += 10) {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: held
            .slice(i, i + 10)
            .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
        }),
      );
    }
  } finally {
    client.destroy();
  }
  return { ids, unreadable };
}

/** Both kinds of DLQ body: a `trail.dead-letter/1` event, or a whole queue message `{"events":[…]}`. */
function idsInDeadLetter(message: Message): string[] {
  const attributes = message.MessageAttributes ?? {};
  try {
    const letter = readDeadLetter(message.Body ?? '', {
      reason: attributes.reason?.StringValue,
      originalMessageId: attributes.originalMessageId?.StringValue,
    });
    if (letter.kind === 'event') return [letter.event.id.toLowerCase()];
    const body = JSON.parse(letter.body) as { events?: { id?: unknown }[] };
    return (body.events ?? []).flatMap((event) => (typeof event.id === 'string' ? [event.id.toLowerCase()] : []));
  } catch {
    return [];
  }
}

export interface Figures {
  accepted: number;
  stored: number;
  lost: number;
  duplicated: number;
  dead_lettered: number;
  pg_rows: number;
  archived_rows: number;
  dlq_events: number;
  /** Stored, though no 202/PUBACK reached the client (the answer was cut by a kill): allowed. */
  stored_unacknowledged: number;
  /** Ids of bad inputs found stored anywhere. */
  bad_inputs_stored: number;
  lost_sample: string[];
  duplicated_sample: string[];
}

/** lost: accepted and found nowhere; duplicated: stored more than once (in PostgreSQL, the archive, or both). */
export function compare(ledger: Ledger, holdings: Holdings): Figures {
  const total = (map: Map<string, number>) => [...map.values()].reduce((sum, n) => sum + n, 0);
  const where = (id: string) => ({
    pg: holdings.postgres.get(id) ?? 0,
    archive: holdings.archive.get(id) ?? 0,
    dlq: holdings.deadLetters.get(id) ?? 0,
  });
  let stored = 0;
  let deadLettered = 0;
  const lost: string[] = [];
  for (const id of ledger.accepted) {
    const at = where(id);
    if (at.pg + at.archive + at.dlq === 0) lost.push(id);
    else stored += 1;
    if (at.pg + at.archive === 0 && at.dlq > 0) deadLettered += 1;
  }
  const duplicated: string[] = [];
  for (const id of new Set([...holdings.postgres.keys(), ...holdings.archive.keys()])) {
    const at = where(id);
    if (at.pg + at.archive > 1) duplicated.push(id);
  }
  const everywhere = new Set([...holdings.postgres.keys(), ...holdings.archive.keys(), ...holdings.deadLetters.keys()]);
  let unacknowledged = 0;
  let badStored = 0;
  for (const id of everywhere) {
    const refused = ledger.refused.get(id);
    if (refused !== undefined) {
      badStored += 1;
      ledger.note(`the id ${id} of a bad input ("${refused}") is stored`);
    } else if (!ledger.accepted.has(id)) unacknowledged += 1;
  }
  return {
    accepted: ledger.accepted.size,
    stored,
    lost: lost.length,
    duplicated: duplicated.length,
    dead_lettered: deadLettered,
    pg_rows: total(holdings.postgres),
    archived_rows: total(holdings.archive),
    dlq_events: total(holdings.deadLetters),
    stored_unacknowledged: unacknowledged,
    bad_inputs_stored: badStored,
    lost_sample: lost.slice(0, 5),
    duplicated_sample: duplicated.slice(0, 5),
  };
}
