export const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Runs maintenance now and then every `intervalMs` (the local stack's stand-in for the EventBridge schedule). A tick
 * that comes while a run is still going is skipped; stop() waits for the current run.
 */
export function startMaintenanceScheduler(options: {
  run: (now: Date) => Promise<MaintenanceResult>;
  clock: () => Date;
  intervalMs?: number;
  onResult: (result: MaintenanceResult) => void;
  onError: (error: Error) => void;
}): { stop(): Promise<void>; idle(): Promise<void> } {
  let current: Promise<void> | undefined;
  const tick = () => {
    if (current) return;
    current = options
      .run(options.clock())
      .then(options.onResult, options.onError)
      .finally(() => {
        current = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return {
    async idle() {
      await current;
    },
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}

import type { MaintenanceResult } from '../../core/lifecycle/result.ts';
