import type { SealResult } from '../../core/tamper/seal.ts';
import type { LocalSealer } from './sealer.ts';
import type { FromSealer, SealerThreadOptions, ToSealer } from './sealer-thread.ts';
import { startWorker } from './worker.ts';

/**
 * The local sealer in a worker thread: hashing every event and building the tree runs beside the handlers instead
 * of taking turns with them on one event loop (bench --profile: about 7 % of the main thread's busy time under
 * load, plus its garbage), as the SQS endpoint does (sqs.ts). Rounds, logs and the last round on stop are the loop's
 * (sealer.ts); this only carries requests and answers across.
 */
export async function startLocalSealer(
  options: SealerThreadOptions & {
    log: (message: string) => void;
    /** Every round's result, in the main thread (the stack's metrics and operations view). */
    onRound?: (result: SealResult) => void;
  },
): Promise<LocalSealer> {
  const { log, onRound, ...threadOptions } = options;
  const worker = startWorker('./sealer-thread.ts', threadOptions);
  const waiting = new Map<number, { resolve: (result: SealResult) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let stopped: ((error?: string) => void) | undefined;
  let failStart: ((error: Error) => void) | undefined;
  const ready = new Promise<string>((resolve, reject) => {
    failStart = reject;
    worker.on('message', (message: FromSealer | { type: 'failed'; error: string }) => {
      if (message.type === 'ready') resolve(message.publicKeyPath);
      else if (message.type === 'failed') reject(new Error(`the sealer did not start: ${message.error}`));
      else if (message.type === 'log') log(message.message);
      else if (message.type === 'round') onRound?.(message.result);
      else if (message.type === 'sealed') {
        const request = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.result) request?.resolve(message.result);
        else request?.reject(new Error(message.error ?? 'the sealing round failed'));
      } else stopped?.(message.error);
    });
  });
  worker.once('error', (error) => failStart?.(error));
  worker.once('exit', (code) => {
    const error = new Error(`the sealer's worker thread exited (code ${code})`);
    failStart?.(error);
    for (const request of waiting.values()) request.reject(error);
    waiting.clear();
    stopped?.(error.message);
  });
  const send = (message: ToSealer) => worker.postMessage(message);
  let publicKeyPath: string;
  try {
    publicKeyPath = await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  failStart = undefined;
  let stopping: Promise<void> | undefined;
  return {
    publicKeyPath,
    sealNow() {
      const id = nextId++;
      const answer = new Promise<SealResult>((resolve, reject) => waiting.set(id, { resolve, reject }));
      send({ type: 'seal', id });
      return answer;
    },
    stop() {
      stopping ??= (async () => {
        const error = await new Promise<string | undefined>((resolve) => {
          stopped = resolve;
          send({ type: 'stop' });
        });
        await worker.terminate();
        if (error) throw new Error(`the sealer did not stop cleanly: ${error}`);
      })();
      return stopping;
    },
  };
}
