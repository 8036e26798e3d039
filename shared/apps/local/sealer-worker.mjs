// The local sealer's worker thread: loads the TypeScript sources (as bin/trail.mjs does) and runs the sealing loop
// (sealer-thread.ts). Plain JavaScript, so a worker can start it without a loader.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  const { runSealerThread } = await import('./sealer-thread.ts');
  await runSealerThread(workerData, parentPort);
} catch (error) {
  parentPort.postMessage({ type: 'failed', error: String(error?.message ?? error) });
}
