import type { MessagePort } from 'node:worker_threads';
import { startSqsEndpoint } from './sqs-endpoint.ts';

/**
 * The SQS endpoint's worker thread (sqs.ts starts it through ts-worker.mjs): starts the endpoint, reports it ready
 * with its URLs, and answers the parent's `stop`.
 */
export async function run(options: Parameters<typeof startSqsEndpoint>[0], port: MessagePort): Promise<void> {
  const endpoint = await startSqsEndpoint(options);
  port.on('message', async (message) => {
    if (message !== 'stop') return;
    try {
      await endpoint.stop();
      port.postMessage({ type: 'stopped' });
    } catch (error) {
      port.postMessage({ type: 'stopped', error: String((error as Error)?.stack ?? error) });
    }
  });
  const { stop: _stop, ...ready } = endpoint;
  port.postMessage({ type: 'ready', ...ready });
}
