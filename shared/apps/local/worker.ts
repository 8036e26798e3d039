import { Worker } from 'node:worker_threads';

/**
 * A worker thread running `module`'s `run(options, port)` (ts-worker.mjs loads the TypeScript): work of the local
 * stack (the SQS endpoint, sealing, verifying) beside the handlers rather than on their event loop.
 */
export function startWorker(module: `./${string}.ts`, options: unknown): Worker {
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { module, options } });
}
