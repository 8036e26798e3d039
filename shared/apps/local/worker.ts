import { Worker } from 'node:worker_threads';

/** The local stack's running worker threads, by the module each runs (bench reports where their time goes). */
const running = new Map<Worker, string>();

/**
 * A worker thread running `module`'s `run(options, port)` (ts-worker.mjs loads the TypeScript): work of the local
 * stack (the SQS endpoint, sealing, verifying) beside the handlers rather than on their event loop.
 */
export function startWorker(module: `./${string}.ts`, options: unknown): Worker {
  const worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { module, options } });
  running.set(worker, module);
  worker.once('exit', () => running.delete(worker));
  return worker;
}

/** The worker threads running now, each with its module (e.g. `./sqs-thread.ts`). */
export function runningWorkers(): { module: string; worker: Worker }[] {
  return [...running].map(([worker, module]) => ({ module, worker }));
}
