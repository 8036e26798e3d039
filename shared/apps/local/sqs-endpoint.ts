import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_RECEIVE_COUNT } from '../../core/contracts/queue.ts';
import { type DurableSqs, startDurableSqs } from './durable-sqs.ts';
import { type JournalEntry, QueueJournal } from './queue-journal.ts';
import { type SqsEmulator, startSqsEmulator } from './sqs-emulator.ts';
import {
  LOCAL_DEAD_LETTER_QUEUE_NAME,
  LOCAL_QUEUE_NAME,
  LOCAL_VISIBILITY_TIMEOUT_SECONDS,
  type LocalQueueOptions,
} from './sqs-names.ts';

export interface SqsEndpoint {
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  replayed: number;
  /** Seconds the oldest message not yet deleted has been on each queue (0: none), from the journal. */
  oldestAgeSeconds(): QueueAges;
  stop(): Promise<void>;
}

export interface QueueAges {
  events: number;
  deadLetters: number;
}

/**
 * The SQS endpoint: the FIFO queue and FIFO DLQ declared as on AWS (fauxqs, in memory), behind a proxy that journals
 * every send to disk before answering it (durable-sqs.ts), so what was accepted survives a crash and is sent again on
 * the next start. It runs in a worker thread of its own (sqs.ts).
 */
export async function startSqsEndpoint({ dataDir, maxBacklogMb }: LocalQueueOptions): Promise<SqsEndpoint> {
  const emulator = await startSqsEmulator();
  const fifo = {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
  };
  const dlq = emulator.createQueue(LOCAL_DEAD_LETTER_QUEUE_NAME, {
    ...fifo,
    MessageRetentionPeriod: '1209600',
  });
  const queue = emulator.createQueue(LOCAL_QUEUE_NAME, {
    ...fifo,
    VisibilityTimeout: String(LOCAL_VISIBILITY_TIMEOUT_SECONDS),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  const journalDir = join(dataDir, 'queue');
  mkdirSync(journalDir, { recursive: true });
  const journal = QueueJournal.open(join(journalDir, 'journal.ndjson'));
  const upstreamUrls = new Map([
    [LOCAL_QUEUE_NAME, queue.queueUrl],
    [LOCAL_DEAD_LETTER_QUEUE_NAME, dlq.queueUrl],
  ]);
  const proxy = await startDurableSqs({
    emulator,
    upstreamQueueUrls: upstreamUrls,
    journal,
    bounds: new Map([[LOCAL_QUEUE_NAME, maxBacklogMb * 2 ** 20]]),
  });
  const replayed = await replay(journal.pending(), emulator, upstreamUrls, proxy);

  return {
    endpoint: proxy.origin,
    queueUrl: proxy.queueUrl(LOCAL_QUEUE_NAME),
    deadLetterQueueUrl: proxy.queueUrl(LOCAL_DEAD_LETTER_QUEUE_NAME),
    replayed,
    oldestAgeSeconds: () => ({
      events: journal.oldestAgeSeconds(LOCAL_QUEUE_NAME),
      deadLetters: journal.oldestAgeSeconds(LOCAL_DEAD_LETTER_QUEUE_NAME),
    }),
    async stop() {
      await proxy.stop();
      await journal.close();
      emulator.stop();
    },
  };
}

/** SendMessageBatch's limits: 10 entries, 256 KiB in all (a journaled body is at most one message's size). */
const REPLAY_BATCH_BYTES = 200 * 1024;

/** Sends the journal's unacked messages straight to the emulator, in journal order, and maps their new ids. */
async function replay(
  entries: readonly JournalEntry[],
  emulator: SqsEmulator,
  upstreamUrls: ReadonlyMap<string, string>,
  proxy: DurableSqs,
): Promise<number> {
  let batch: JournalEntry[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const queueUrl = upstreamUrls.get(batch[0]!.queue);
    if (!queueUrl) throw new Error(`queue journal names an unknown queue ${batch[0]!.queue}`);
    const { status, answer } = await emulator.call(
      'SendMessageBatch',
      { QueueUrl: queueUrl, Entries: batch.map((entry, i) => ({ Id: String(i), ...entry.message })) },
      {},
    );
    const failed = (answer.Failed as { Message?: string }[] | undefined) ?? [];
    if (status !== 200 || failed.length)
      throw new Error(
        `replaying the queue journal failed: ${failed.map((f) => f.Message).join('; ') || String(answer.message)}`,
      );
    for (const ok of (answer.Successful as { Id: string; MessageId: string }[] | undefined) ?? [])
      proxy.remember(ok.MessageId, batch[Number(ok.Id)]!.seq);
    batch = [];
    bytes = 0;
  };
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.message.MessageBody);
    if (batch.length === 10 || bytes + size > REPLAY_BATCH_BYTES || batch[0]?.queue !== entry.queue) await flush();
    batch.push(entry);
    bytes += size;
  }
  await flush();
  return entries.length;
}
