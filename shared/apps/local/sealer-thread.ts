import type { MessagePort } from 'node:worker_threads';
import { createPool } from '../../adapters/postgres/pool.ts';
import type { SealResult } from '../../core/tamper/seal.ts';
import { startSealerLoop } from './sealer.ts';

/** What the stack gives the sealer's worker thread. */
export interface SealerThreadOptions {
  /** audit_sealer's login URL. */
  connectionString: string;
  dataDir: string;
  logId: string;
  maxEvents: number;
  intervalMs: number;
}

export type ToSealer = { type: 'seal'; id: number } | { type: 'stop' };
export type FromSealer =
  | { type: 'ready'; publicKeyPath: string }
  | { type: 'log'; message: string }
  | { type: 'round'; result: SealResult }
  | { type: 'sealed'; id: number; result?: SealResult; error?: string }
  | { type: 'stopped'; error?: string };

/** The worker thread's side: its own pool as audit_sealer, the loop, and the parent's requests answered on `port`. */
export async function run(options: SealerThreadOptions, port: MessagePort): Promise<void> {
  const send = (message: FromSealer) => port.postMessage(message);
  const pool = createPool({ connectionString: options.connectionString, max: 2, application_name: 'sealer' });
  try {
    const loop = await startSealerLoop({
      ...options,
      pool,
      log: (message) => send({ type: 'log', message }),
      onRound: (result) => send({ type: 'round', result }),
    });
    port.on('message', (message: ToSealer) => {
      if (message.type === 'seal')
        loop.sealNow().then(
          (result) => send({ type: 'sealed', id: message.id, result }),
          (error: Error) => send({ type: 'sealed', id: message.id, error: error.message }),
        );
      else
        loop
          .stop()
          .then(() => pool.end())
          .then(
            () => send({ type: 'stopped' }),
            (error: Error) => send({ type: 'stopped', error: error.message }),
          );
    });
    send({ type: 'ready', publicKeyPath: loop.publicKeyPath });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
