import type { MessagePort } from 'node:worker_threads';
import { startSqsEndpoint } from './sqs-endpoint.ts';

/** What the parent asks: to stop, or the queues' oldest ages (answered `{type: 'ages', id, ages}`). */
export type ToSqsThread = 'stop' | { type: 'ages'; id: number };

/**
 * The SQS endpoint's worker thread (sqs.ts starts it through ts-worker.mjs): starts the endpoint, reports it ready
 * with its URLs, and answers the parent's `stop` and `ages`.
 */
export async function run(options: Parameters<typeof startSqsEndpoint>[0], port: MessagePort): Promise<void> {
  const endpoint = await startSqsEndpoint(options);
  port.on('message', async (message: ToSqsThread) => {
    if (typeof message === 'object' && message.type === 'ages') {
      port.postMessage({ type: 'ages', id: message.id, ages: endpoint.oldestAgeSeconds() });
      return;
    }
    if (message !== 'stop') return;
    try {
      await endpoint.stop();
      port.postMessage({ type: 'stopped' });
    } catch (error) {
      port.postMessage({ type: 'stopped', error: String((error as Error)?.stack ?? error) });
    }
  });
  const { endpoint: url, queueUrl, deadLetterQueueUrl, replayed } = endpoint;
  port.postMessage({ type: 'ready', endpoint: url, queueUrl, deadLetterQueueUrl, replayed });
}
