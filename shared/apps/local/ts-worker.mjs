// A worker thread of the local stack (the SQS endpoint, the sealer, a verification): loads the TypeScript sources (as bin/trail.mjs
// does), then runs `run(options, parentPort)` of the module `workerData.module` names (resolved from here). Plain
// JavaScript, so a worker can start it without a loader.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  const { run } = await import(new URL(workerData.module, import.meta.url).href);
  await run(workerData.options, parentPort);
} catch (error) {
  parentPort.postMessage({ type: 'failed', error: String(error?.message ?? error) });
}
