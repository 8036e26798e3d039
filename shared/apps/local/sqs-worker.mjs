// The local SQS endpoint's worker thread: loads the TypeScript sources (as bin/trail.mjs does), starts the endpoint
// (sqs-endpoint.ts) and answers the parent's `stop`. Plain JavaScript, so a worker can start it without a loader.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  const { startSqsEndpoint } = await import('./sqs-endpoint.ts');
  const endpoint = await startSqsEndpoint(workerData);
  parentPort.on('message', async (message) => {
    if (message !== 'stop') return;
    try {
      await endpoint.stop();
      parentPort.postMessage({ type: 'stopped' });
    } catch (error) {
      parentPort.postMessage({ type: 'stopped', error: String(error?.stack ?? error) });
    }
  });
  const { stop: _stop, ...ready } = endpoint;
  parentPort.postMessage({ type: 'ready', ...ready });
} catch (error) {
  parentPort.postMessage({ type: 'failed', error: String(error?.message ?? error) });
}
