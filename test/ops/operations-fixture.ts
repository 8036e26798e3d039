import type { OperationsStatus } from '../../shared/core/operations/status.ts';

/** The figures of a stack that is up and idle: an empty queue, nothing run yet. */
export function idleOperations(now: Date): OperationsStatus {
  return {
    at: now.toISOString(),
    queue: { visible: 0, inFlight: 0, oldestAgeSeconds: 0 },
    deadLetters: { visible: 0 },
    writer: { windowMinutes: 5, invocations: 0, errors: 0, eventsStored: 0, p99Ms: null },
    partitions: { months: ['2026-11', '2026-12'], nextMaintenanceAt: null },
    lastMaintenance: null,
    lastSeal: null,
    lastVerification: null,
    sinks: [],
  };
}
