import type { VerificationReport } from '../../core/tamper/verify.ts';
import type { RunVerification } from '../maintenance/verification.ts';
import type { FromVerifier, VerifyThreadOptions } from './verify-thread.ts';
import { startWorker } from './worker.ts';

/**
 * The local stack's scheduled verification, each run in a worker thread of its own: recomputing every leaf is CPU
 * work (about 20 µs an event) that would otherwise take turns with the handlers on the stack's event loop, as the
 * sealer's would (sealer-process.ts).
 */
export function verifyInWorker(options: Omit<VerifyThreadOptions, 'publicKeyPem'>): RunVerification {
  return (publicKeyPem) =>
    new Promise<VerificationReport>((resolve, reject) => {
      const workerData: VerifyThreadOptions = { ...options, publicKeyPem };
      const worker = startWorker('./verify-thread.ts', workerData);
      let answered = false;
      worker.on('message', (message: FromVerifier) => {
        answered = true;
        if (message.type === 'report') resolve(message.report);
        else reject(new Error(message.error));
      });
      worker.once('error', (error) => {
        answered = true;
        reject(error);
      });
      worker.once('exit', (code) => {
        if (!answered) reject(new Error(`the verification's worker thread exited (code ${code}) without a report`));
      });
    });
}
