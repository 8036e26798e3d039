import { loadStartConfig } from '../local/config.ts';
import { startLocalStack } from '../local/stack.ts';

/**
 * `trail start`: runs until Ctrl-C (SIGINT) or SIGTERM, then stops: the HTTP API and the broker stop accepting
 * first, then the writer finishes what is queued (up to 10 s). A second Ctrl-C exits at once, and loses nothing either:
 * everything accepted is in the queue's journal on disk (DATA_DIR/queue) and is sent again on the next start.
 *
 * Start-up fails fast: the configuration is checked first (loadStartConfig), then DATA_DIR is locked and the fixed
 * ports are tried (preflight.ts); a failure stops what had started and rejects, and bin/trail.mjs exits.
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
  // Every variable is checked before anything starts; a bad one (or a taken port, a DATA_DIR another start holds)
  // is thrown from here, and main prints it and exits 1.
  const config = loadStartConfig();
  const stack = await startLocalStack(config, (message) => console.log(`[trail] ${message}`));
  if (!stopRequested) console.log('[trail] ready. Ctrl-C to stop.');
  await stopSignal;
  console.log('[trail] stopping: accepting nothing more, writing what is queued (Ctrl-C again exits at once)…');
  await stack.stop();
  console.log('[trail] stopped.');
  return 0;
}
