/** A cadence of rounds, one at a time: the local stand-in for a scheduled function with reserved concurrency 1. */
export interface RoundLoop<T> {
  /** A round now, after the one running (if any). */
  runNow(): Promise<T>;
  /** Stops the cadence and waits for the round running (a caller may still runNow() after). */
  stop(): Promise<void>;
}

/**
 * Runs `round` at once and every `intervalMs`, never two at a time: a tick that comes while a round runs (or waits)
 * is skipped, and `runNow()` queues behind the one running. A round's result goes to `report`; a failure is logged
 * as `<name>: the round failed: …`, and the next tick tries again.
 */
export function startRoundLoop<T>(options: {
  name: string;
  intervalMs: number;
  round: () => Promise<T>;
  report: (result: T) => void;
  log: (message: string) => void;
}): RoundLoop<T> {
  let last: Promise<unknown> = Promise.resolve();
  let running = 0;
  const runNow = (): Promise<T> => {
    running++;
    const next = last.then(options.round);
    last = next.catch(() => undefined).finally(() => running--);
    return next;
  };
  const tick = () => {
    if (running > 0) return;
    runNow().then(options.report, (error: Error) => options.log(`${options.name}: the round failed: ${error.message}`));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await last;
    },
  };
}
