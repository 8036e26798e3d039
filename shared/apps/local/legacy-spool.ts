import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueue, SqsEventQueue } from '../../adapters/sqs/sqs-queue.ts';

/** One line of the shutdown spool earlier versions wrote (before the queue journal). */
interface SpooledMessage {
  groupId: string;
  deduplicationId: string;
  body: string;
  reason?: string;
  originalMessageId?: string;
}

/**
 * Before the queue was journaled, a clean stop saved what was still queued to `DATA_DIR/queue-spool.ndjson` and the
 * DLQ to `dead-letters.ndjson`. Puts any such file's messages on the (journaled) queues, then removes it, so events an
 * earlier version accepted are not left behind by an upgrade. Returns how many messages it put back.
 */
export async function restoreLegacySpools(
  dataDir: string,
  queues: { client: SQSClient; queueUrl: string; deadLetterQueueUrl: string },
): Promise<number> {
  let restored = 0;
  const queued = join(dataDir, 'queue-spool.ndjson');
  if (existsSync(queued)) {
    const messages = await readSpool(queued);
    await new SqsEventQueue(queues.client, queues.queueUrl).send(messages);
    await rm(queued);
    restored += messages.length;
  }
  const dead = join(dataDir, 'dead-letters.ndjson');
  if (existsSync(dead)) {
    const messages = await readSpool(dead);
    const deadLetters = new SqsDeadLetterQueue(queues.client, queues.deadLetterQueueUrl);
    for (const m of messages) await deadLetters.sendPoison({ ...m, reason: m.reason ?? 'restored from spool' });
    await rm(dead);
    restored += messages.length;
  }
  return restored;
}

async function readSpool(file: string): Promise<SpooledMessage[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SpooledMessage);
}
