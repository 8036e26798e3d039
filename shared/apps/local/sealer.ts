import type pg from 'pg';
import { loadOrCreateLocalSigner, publicKeyPath } from '../../adapters/crypto/local-signer.ts';
import { rollUpEventCounts } from '../../adapters/postgres/event-counts.ts';
import { PgLogStore } from '../../adapters/postgres/pg-log-store.ts';
import { type SealResult, sealRound } from '../../core/tamper/seal.ts';
import { describeSeal } from '../../core/tamper/seal-report.ts';
import { logArchiveIn } from '../archive/log-archive.ts';
import { archiveStore } from '../maintenance/setup.ts';
import { localArchiveConfig } from './maintenance.ts';
import { startRoundLoop } from './round-loop.ts';
import { localSigningKeyPath } from './signing-key.ts';

/** How long stopping keeps sealing while stored events still wait (they are sealed at the next start otherwise). */
const FINAL_ROUND_PATIENCE_MS = 3000;

export interface LocalSealer {
  /** Where auditors find the public key that verifies the checkpoints. */
  publicKeyPath: string;
  /** A round now, after the one running (if any): resolves when its checkpoint is committed and copied. */
  sealNow(): Promise<SealResult>;
  /** Stops the cadence, then runs one last round: the stack calls it after the writer has drained the queue. */
  stop(): Promise<void>;
}

/**
 * The sealing loop (sealer-thread.ts runs it in its worker thread): a round every `intervalMs` (EventBridge's every minute on AWS), as audit_sealer, checkpoints
 * signed with the key pair in DATA_DIR/log-signing-key.pem (generated once), copies in ARCHIVE_URL or
 * `<dataDir>/archive`. A tick that comes while a round runs is skipped; a round that fails is logged, and the next
 * one takes up where the log stands.
 */
export async function startSealerLoop(options: {
  pool: pg.Pool;
  dataDir: string;
  logId: string;
  maxEvents: number;
  intervalMs: number;
  log: (message: string) => void;
  /** Every round that committed, whoever asked for it. */
  onRound?: (result: SealResult) => void;
}): Promise<LocalSealer> {
  const keyPath = localSigningKeyPath(options.dataDir);
  const signer = await loadOrCreateLocalSigner(keyPath);
  const store = archiveStore(localArchiveConfig(options.dataDir));
  const deps = { store: new PgLogStore(options.pool), signer, archive: logArchiveIn(store), clock: () => new Date() };

  const sealOnce = async (): Promise<SealResult> => {
    const result = await sealRound(deps, { logId: options.logId, maxEvents: options.maxEvents });
    // As the sealer does on AWS: after the round, a failure logged and left for the next (counts stay exact).
    await rollUpEventCounts(options.pool).catch((error: Error) =>
      options.log(`sealer: the event count roll-up failed: ${error.message}`),
    );
    options.onRound?.(result);
    return result;
  };
  const report = (result: SealResult) => {
    // A round that sealed nothing and copied nothing again is the cadence ticking: not worth a line every 5 s.
    if (result.sealed > 0 || result.archive.repaired.length > 0 || result.archive.failed.length > 0)
      for (const line of describeSeal(result)) options.log(`sealer: ${line}`);
  };
  const loop = startRoundLoop({
    name: 'sealer',
    intervalMs: options.intervalMs,
    round: sealOnce,
    report,
    log: options.log,
  });
  options.log(
    `sealer: a signed checkpoint every ${options.intervalMs} ms (key ${signer.keyId}), copies in ${store.url}; ` +
      `public key for auditors: ${publicKeyPath(keyPath)}`,
  );
  return {
    publicKeyPath: publicKeyPath(keyPath),
    sealNow: loop.runNow,
    async stop() {
      await loop.stop();
      // Stored events the round could not seal yet wait behind a transaction still open on the server (in another
      // database, say): give it a moment, rather than leave them for the next start.
      const deadline = Date.now() + FINAL_ROUND_PATIENCE_MS;
      try {
        for (;;) {
          const result = await loop.runNow();
          report(result);
          if (result.oldestUnsealedAt === null || Date.now() > deadline) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } catch (error) {
        options.log(`sealer: the last round failed: ${(error as Error).message}`);
      }
    },
  };
}
