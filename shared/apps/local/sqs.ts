import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from './sqs-endpoint.ts';
import type { LocalQueueOptions } from './sqs-names.ts';
import { startWorker } from './worker.ts';

export {
  LOCAL_DEAD_LETTER_QUEUE_NAME,
  LOCAL_QUEUE_NAME,
  LOCAL_VISIBILITY_TIMEOUT_SECONDS,
  type LocalQueueOptions,
} from './sqs-names.ts';

export interface LocalQueues {
  client: SQSClient;
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Messages put back on the queues from the journal at start: accepted by an earlier run, not yet deleted. */
  replayed: number;
  stop(): Promise<void>;
}

type FromWorker =
  | { type: 'ready'; endpoint: string; queueUrl: string; deadLetterQueueUrl: string; replayed: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped'; error?: string };

/**
 * The SQS endpoint (the emulator behind its journal, sqs-endpoint.ts) in a worker thread: its HTTP serving, JSON
 * and journal writes run beside the handlers instead of taking turns with them on one event loop (bench --profile:
 * about a third of the stack's busy time is the queue). The handlers use the real SQS client against it.
 */
export async function startLocalQueues(options: LocalQueueOptions): Promise<LocalQueues> {
  const worker = startWorker('./sqs-thread.ts', { dataDir: options.dataDir, maxBacklogMb: options.maxBacklogMb });
  const next = () =>
    new Promise<FromWorker>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the SQS endpoint's worker exited (code ${code})`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: FromWorker) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve(message);
      });
    });
  const ready = await next().catch(async (error) => {
    await worker.terminate();
    throw error;
  });
  if (ready.type !== 'ready') {
    await worker.terminate();
    throw new Error(`the SQS endpoint did not start: ${'error' in ready ? ready.error : ready.type}`);
  }
  const client = sqsClient(ready.endpoint);
  let stopping: Promise<void> | undefined;
  // Nothing accepted is lost if the worker dies (the journal is on disk), but ingest can only answer 503 until a
  // restart: say so where the operator looks.
  worker.once('exit', (code) => {
    if (!stopping) options.onUnexpectedExit?.(new Error(`the SQS endpoint's worker thread exited (code ${code})`));
  });
  return {
    client,
    endpoint: ready.endpoint,
    queueUrl: ready.queueUrl,
    deadLetterQueueUrl: ready.deadLetterQueueUrl,
    replayed: ready.replayed,
    stop() {
      stopping ??= (async () => {
        client.destroy();
        const stopped = next();
        worker.postMessage('stop');
        const answer = await stopped;
        await worker.terminate();
        if (answer.type === 'stopped' && answer.error)
          throw new Error(`the SQS endpoint did not stop cleanly: ${answer.error}`);
      })();
      return stopping;
    },
  };
}
