/**
 * What one SQS call costs the calling thread against the local endpoint (the journaling proxy in its worker thread):
 * 20 concurrent senders, SendMessage with a 100-byte and a 25 KB body, with and without the SDK's cacheMiddleware,
 * interleaved. Prints the calling thread's busy µs per call (event loop utilization), median of the rounds.
 * `node --import tsx bench/experiments/sqs-call-cost.ts`
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalQueues } from '../../shared/apps/local/sqs.ts';

const CALLS = 1000;
const ROUNDS = 7;
const SENDERS = 20;

const dataDir = await mkdtemp(join(tmpdir(), 'trail-sqs-call-cost-'));
const queues = await startLocalQueues({ dataDir, maxBacklogMb: 4096 });
try {
  const clientFor = (cacheMiddleware: boolean) =>
    new SQSClient({
      endpoint: queues.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      cacheMiddleware,
    });
  const variants = [100, 25_000].flatMap((bytes) =>
    [false, true].map((cache) => ({ bytes, cache, client: clientFor(cache), busyUs: [] as number[] })),
  );
  for (let round = 0; round <= ROUNDS; round++) {
    for (const variant of variants) {
      const body = JSON.stringify({ note: 'x'.repeat(variant.bytes) });
      const start = performance.eventLoopUtilization();
      let next = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < CALLS) {
            const k = next++;
            await variant.client.send(
              new SendMessageCommand({
                QueueUrl: queues.queueUrl,
                MessageBody: body,
                MessageGroupId: `g${k % 50}`,
                MessageDeduplicationId: `${variant.bytes}-${variant.cache}-${round}-${k}`,
              }),
            );
          }
        }),
      );
      // Round 0 warms the clients and the endpoint up.
      if (round > 0) variant.busyUs.push((performance.eventLoopUtilization(start).active * 1000) / CALLS);
    }
  }
  for (const { bytes, cache, busyUs } of variants) {
    const median = busyUs.sort((a, b) => a - b)[Math.floor(busyUs.length / 2)]!;
    console.log(`body ${bytes} B, cacheMiddleware ${cache}: ${Math.round(median)} µs of the calling thread per call`);
  }
} finally {
  await queues.stop();
  await rm(dataDir, { recursive: true, force: true });
}
