import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SEALER_METRICS } from '../contracts/metrics.ts';
import type { SealResult } from './seal.ts';

/** The round in a few lines a person reads: what it sealed and signed, how late the log is, what the archive got. */
export function describeSeal(result: SealResult): string[] {
  const { number, treeSize } = result.checkpoint.body;
  const more = result.complete ? '' : ' (stopped at its time bound: more events wait for the next round)';
  const lines = [
    `sealed ${result.sealed} events: checkpoint ${number}, tree size ${treeSize}, in ${result.durationMs} ms${more}; ` +
      `lag ${result.lagSeconds.toFixed(1)} s`,
  ];
  if (result.archive.repaired.length > 0)
    lines.push(`archive: copied again what was missing: ${result.archive.repaired.join(', ')}`);
  for (const failure of result.archive.failed) lines.push(`archive: could not copy ${failure.key}: ${failure.reason}`);
  return lines;
}

/**
 * The round's metrics, every round: CheckpointNumber also when nothing was sealed, so its absence (no round ran)
 * alarms; SealLagSeconds is 0 when nothing waits.
 */
export function recordSealMetrics(metrics: Metrics, result: SealResult): void {
  metrics.addMetric(SEALER_METRICS.eventsSealed, 'Count', result.sealed);
  metrics.addMetric(SEALER_METRICS.lagSeconds, 'Seconds', result.lagSeconds);
  metrics.addMetric(SEALER_METRICS.checkpointNumber, 'None', result.checkpoint.body.number);
}
