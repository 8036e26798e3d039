import type { SQSClient } from '@aws-sdk/client-sqs';
import { localEndpointSqsClient } from '../../adapters/sqs/client.ts';
import type { QueueAges } from './sqs-endpoint.ts';
import type { LocalQueueOptions } from './sqs-names.ts';
import type { ToSqsThread } from './sqs-thread.ts';
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
  /** Seconds the oldest message not yet deleted has been on each queue (0: none), asked of the endpoint's thread. */
  oldestAgeSeconds(): Promise<QueueAges>;
  stop(): Promise<void>;
}

type FromWorker =
  | { type: 'ready'; endpoint: string; queueUrl: string; deadLetterQueueUrl: string; replayed: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped'; error?: string }
  | { type: 'ages'; id: number; ages: QueueAges };

/**
 * The SQS endpoint (the emulator behind its journal, sqs-endpoint.ts) in a worker thread: its HTTP serving, JSON
 * and journal writes run beside the handlers instead of taking turns with them on one event loop (bench --profile:
 * about a third of the stack's busy time is the queue). The handlers use the real SQS client against it.
 */
export async function startLocalQueues(options: LocalQueueOptions): Promise<LocalQueues> {
  const worker = startWorker('./sqs-thread.ts', { dataDir: options.dataDir, maxBacklogMb: options.maxBacklogMb });
  /** The worker's next message other than an answer about ages. */
  const next = () =>
    new Promise<FromWorker>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the SQS endpoint's worker exited (code ${code})`));
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ages') return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve(message);
      };
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.on('message', onMessage);
    });
  const agesAsked = new Map<number, (ages: QueueAges) => void>();
  let lastAsk = 0;
  worker.on('message', (message: FromWorker) => {
    if (message.type !== 'ages') return;
    agesAsked.get(message.id)?.(message.ages);
    agesAsked.delete(message.id);
  });
  const ready = await next().catch(async (error) => {
    await worker.terminate();
    throw error;
  });
  if (ready.type !== 'ready') {
    await worker.terminate();
    throw new Error(`the SQS endpoint did not start: ${'error' in ready ? ready.error : ready.type}`);
  }
  const client = localEndpointSqsClient(ready.endpoint);
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
    oldestAgeSeconds() {
      if (stopping) return Promise.resolve({ events: 0, deadLetters: 0 });
      const id = ++lastAsk;
      return new Promise<QueueAges>((resolve, reject) => {
        agesAsked.set(id, resolve);
        worker.postMessage({ type: 'ages', id } satisfies ToSqsThread);
        // A worker that died answers nothing: the figure is then unknown, not a hang.
        setTimeout(() => {
          if (agesAsked.delete(id)) reject(new Error("the SQS endpoint's worker did not answer"));
        }, 2000).unref();
      });
    },
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
