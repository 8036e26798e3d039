import { loadLocalConfig } from '../local/config.ts';
import { startLocalStack } from '../local/stack.ts';

/**
 * `trail start`: runs until Ctrl-C (SIGINT) or SIGTERM, then stops cleanly: the writer finishes what is queued and
 * anything left is saved for the next start. A second Ctrl-C exits at once.
 */
export async function runLocalStack(): Promise<number> {
  let stopRequested = false;
  const stopSignal = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopRequested) process.exit(130);
      stopRequested = true;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const stack = await startLocalStack(loadLocalConfig(), (message) => console.log(`[trail] ${message}`));
  if (!stopRequested) console.log('[trail] ready. Ctrl-C to stop.');
  await stopSignal;
  console.log('[trail] stopping: writing what is still queued…');
  await stack.stop();
  console.log('[trail] stopped.');
  return 0;
}
