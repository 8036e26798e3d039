import { type CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { SEVERITIES } from '../../core/domain/severity.ts';
import type { OperationsStatus } from '../../core/operations/status.ts';
import {
  LOOKBACK_SECONDS,
  type OperationsMetricsTarget,
  operationsQueries,
  QUERY_IDS,
  WINDOW_SECONDS,
} from './operations-queries.ts';

export type { OperationsMetricsTarget } from './operations-queries.ts';

/** What CloudWatch tells the operations view; each result it has no datapoint for is null ("not known"). */
export interface CloudWatchFigures {
  /** The events queue's oldest message, the maximum of its newest datapoint (null: none in the last 10 minutes). */
  oldestAgeSeconds: number | null;
  writer: NonNullable<OperationsStatus['writer']>;
  lastMaintenance: OperationsStatus['lastMaintenance'];
  lastSeal: OperationsStatus['lastSeal'];
  lastVerification: OperationsStatus['lastVerification'];
}

/** SQS publishes a datapoint a minute and CloudWatch shows it minutes later; an older age is not the queue's now. */
const QUEUE_AGE_FRESH_SECONDS = 600;

interface Datapoint {
  at: Date;
  value: number;
}

/**
 * One GetMetricData call, newest datapoints first (so a paginated answer would still hold the newest; at most about
 * 13,000 datapoints are asked for, under the one page of 100,800). The request ends at the last whole minute.
 */
export async function readOperationsMetrics(
  cloudwatch: Pick<CloudWatchClient, 'send'>,
  target: OperationsMetricsTarget,
  now: Date,
): Promise<CloudWatchFigures> {
  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: operationsQueries(target),
      StartTime: new Date(end.getTime() - LOOKBACK_SECONDS * 1000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
    }),
  );
  return figuresFrom(MetricDataResults, end);
}

/** The datapoints of one query, newest first. */
function series(results: MetricDataResult[], id: string): Datapoint[] {
  const result = results.find((candidate) => candidate.Id === id);
  const timestamps = result?.Timestamps ?? [];
  return timestamps
    .map((at, index) => ({ at: new Date(at), value: result?.Values?.[index] ?? Number.NaN }))
    .filter((point) => Number.isFinite(point.value))
    .sort((a, b) => b.at.getTime() - a.at.getTime());
}

/** The value at exactly `at` (a run's metrics share its flush, so its minute), else 0: a run that emitted none. */
const valueAt = (points: Datapoint[], at: Date) =>
  points.find((point) => point.at.getTime() === at.getTime())?.value ?? 0;

/** Mapping GetMetricData's results, by query id, into the view's figures. */
export function figuresFrom(results: MetricDataResult[], end: Date): CloudWatchFigures {
  const get = (id: string) => series(results, id);
  const since = (seconds: number) => (point: Datapoint) => point.at.getTime() >= end.getTime() - seconds * 1000;
  // The window's sum; Lambda publishes no datapoint for a minute without invocations, so none is 0.
  const windowSum = (id: string) =>
    Math.round(
      get(id)
        .filter(since(WINDOW_SECONDS))
        .reduce((sum, point) => sum + point.value, 0),
    );
  const age = get(QUERY_IDS.queueAge).find(since(QUEUE_AGE_FRESH_SECONDS));
  const p99 = get(QUERY_IDS.p99).find(since(WINDOW_SECONDS));
  return {
    oldestAgeSeconds: age ? Math.max(0, age.value) : null,
    writer: {
      windowMinutes: WINDOW_SECONDS / 60,
      invocations: windowSum(QUERY_IDS.invocations),
      errors: windowSum(QUERY_IDS.errors),
      eventsStored: SEVERITIES.reduce((sum, severity) => sum + windowSum(QUERY_IDS.events(severity)), 0),
      p99Ms: p99 ? p99.value : null,
    },
    lastMaintenance: lastMaintenance(get),
    lastSeal: lastSeal(get),
    lastVerification: lastVerification(get),
  };
}

type Series = (id: string) => Datapoint[];

/**
 * The newest maintenance run's minute: failed when it counted a failure, paused when it asked for (or was refused) a
 * continuation, else done (CloudWatch cannot tell done from skipped: a run that found another holding the lock). Which
 * months it archived is in its log only: `archived` is null, the count is in the summary.
 */
function lastMaintenance(get: Series): OperationsStatus['lastMaintenance'] {
  const [run] = get(QUERY_IDS.runs);
  if (!run) return null;
  const count = (id: string) => valueAt(get(id), run.at);
  const status =
    count(QUERY_IDS.failures) > 0
      ? 'failed'
      : count(QUERY_IDS.continuations) + count(QUERY_IDS.stopped) > 0
        ? 'paused'
        : 'done';
  const parts = [
    status,
    `created ${plural(count(QUERY_IDS.created), 'partition')}`,
    `archived ${plural(count(QUERY_IDS.archived), 'month')}`,
  ];
  if (run.value > 1) parts.push(`${run.value} runs that minute`);
  return { at: run.at.toISOString(), status, summary: parts.join('; '), archived: null };
}

/** The newest sealing round's minute: its checkpoint (the minute's highest: numbers only grow), events sealed, lag. */
function lastSeal(get: Series): OperationsStatus['lastSeal'] {
  const [round] = get(QUERY_IDS.checkpoint);
  if (!round) return null;
  const sealed = Math.round(valueAt(get(QUERY_IDS.sealed), round.at));
  const lag = get(QUERY_IDS.sealLag).find((point) => point.at.getTime() === round.at.getTime());
  const checkpoint = Math.round(round.value);
  return {
    at: round.at.toISOString(),
    checkpoint,
    sealed,
    summary: `sealed ${plural(sealed, 'event')}: checkpoint ${checkpoint}${lag ? `; lag ${lag.value.toFixed(1)} s` : ''}`,
  };
}

/** The newest scheduled verification's minute: intact when it counted no finding. */
function lastVerification(get: Series): OperationsStatus['lastVerification'] {
  const [verification] = get(QUERY_IDS.verification);
  if (!verification) return null;
  const findings = Math.round(verification.value);
  return {
    at: verification.at.toISOString(),
    ok: findings === 0,
    summary:
      findings === 0
        ? 'no divergence'
        : `${plural(findings, 'finding')}: the maintenance function's log lists them; trail verify checks again`,
  };
}

const plural = (n: number, one: string) => `${n} ${n === 1 ? one : `${one}s`}`;
