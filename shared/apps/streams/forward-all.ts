import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type pg from 'pg';
import { PgSinkStore } from '../../adapters/postgres/pg-sink-store.ts';
import { type SinkStatus, sinkStatuses } from '../../adapters/postgres/sink-status.ts';
import { SINK_METRIC_DIMENSION, SINK_METRICS } from '../../core/contracts/metrics.ts';
import type { SinkClient } from '../../core/ports/streams.ts';
import { type ForwardResult, forwardRound } from '../../core/streams/forward.ts';
import type { SinkSpec } from '../../core/streams/sinks.ts';
import { bareSingleMetric } from '../runtime/single-metric.ts';

export interface ForwardingDeps {
  /** audit_forwarder's pool: one connection per sink while a round runs, one more for the status. */
  pool: pg.Pool;
  sinks: readonly SinkSpec[];
  /** Each sink's transport, made once (its secret read once). */
  client: (sink: SinkSpec) => Promise<SinkClient>;
  clock?: () => Date;
}

export interface ForwardingResult {
  rounds: ForwardResult[];
  statuses: SinkStatus[];
}

/**
 * One round for every sink, side by side (a sink that is down delays no other), then where each stands. A sink
 * whose transport cannot be made (its secret is missing) fails its own round, not the others'.
 */
export async function forwardAll(
  deps: ForwardingDeps,
  options: { batchSize: number; maxRoundMs: number },
): Promise<ForwardingResult> {
  const store = new PgSinkStore(deps.pool);
  const clock = deps.clock ?? (() => new Date());
  const rounds = await Promise.all(
    deps.sinks.map(async (sink): Promise<ForwardResult> => {
      try {
        return await forwardRound(
          { store, client: await deps.client(sink), clock },
          { sink: sink.name, batchSize: options.batchSize, maxRoundMs: options.maxRoundMs },
        );
      } catch (error) {
        return {
          sink: sink.name,
          state: 'ran',
          delivered: 0,
          deadLettered: 0,
          caughtUp: false,
          failure: (error as Error).message,
        };
      }
    }),
  );
  const statuses = await sinkStatuses(
    deps.pool,
    deps.sinks.map((sink) => sink.name),
    clock(),
  );
  return { rounds, statuses };
}

/** The round's metrics per sink (SINK_METRICS), each with the one dimension `sink`. */
export function recordSinkMetrics(metrics: Metrics, { rounds, statuses }: ForwardingResult): void {
  const emit = (sink: string, name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    const single = bareSingleMetric(metrics);
    single.addDimension(SINK_METRIC_DIMENSION, sink);
    single.addMetric(name, unit, value);
  };
  for (const status of statuses) {
    emit(status.name, SINK_METRICS.lagEvents, MetricUnit.Count, status.lagEvents);
    emit(status.name, SINK_METRICS.lagSeconds, MetricUnit.Seconds, status.oldestUndeliveredAgeSeconds);
  }
  for (const round of rounds) {
    emit(round.sink, SINK_METRICS.delivered, MetricUnit.Count, round.delivered);
    emit(round.sink, SINK_METRICS.deadLettered, MetricUnit.Count, round.deadLettered);
    emit(round.sink, SINK_METRICS.failures, MetricUnit.Count, round.failure ? 1 : 0);
  }
}

/** A round in lines a person reads; nothing for a sink that had nothing to do. */
export function describeForwarding({ rounds, statuses }: ForwardingResult): string[] {
  return rounds.flatMap((round) => {
    const status = statuses.find((s) => s.name === round.sink);
    const lag = status ? `; lag ${status.lagEvents} events, ${status.oldestUndeliveredAgeSeconds.toFixed(1)} s` : '';
    if (round.failure) return [`sink ${round.sink}: delivery failed (${round.failure}), retried with backoff${lag}`];
    if (round.delivered === 0 && round.deadLettered === 0) return [];
    const dead = round.deadLettered > 0 ? `, ${round.deadLettered} dead-lettered` : '';
    return [
      `sink ${round.sink}: delivered ${round.delivered} events up to seq ${(round.nextSeq ?? 1) - 1}${dead}${lag}`,
    ];
  });
}
