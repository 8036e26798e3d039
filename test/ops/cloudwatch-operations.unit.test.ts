import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readOperationsMetrics } from '../../shared/adapters/cloudwatch/operations-metrics.ts';
import { operationsStatusSchema } from '../../shared/core/operations/status.ts';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());

const TARGET = { namespace: 'FleetAuditTrail', queueName: 'audit-events.fifo', writerFunctionName: 'writer-fn' };
/** 10:07:30: the request ends at 10:07, the writer's window is 10:02-10:07. */
const NOW = new Date('2026-12-01T10:07:30Z');
const END = new Date('2026-12-01T10:07:00Z');
const minutesBefore = (minutes: number) => new Date(END.getTime() - minutes * 60_000);

const read = () => readOperationsMetrics(new CloudWatchClient({ region: 'eu-west-1' }), TARGET, NOW);
const answer = (results: MetricDataResult[]) =>
  cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: results });
const result = (Id: string, points: [Date, number][]): MetricDataResult => ({
  Id,
  StatusCode: 'Complete',
  Timestamps: points.map(([at]) => at),
  Values: points.map(([, value]) => value),
});

describe('the operations view on AWS: one GetMetricData call', () => {
  it('asks, in one call ending at the last whole minute and two days long, for exactly these metrics', async () => {
    answer([]);
    await read();
    const calls = cloudwatch.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.EndTime).toEqual(END);
    expect(input.StartTime).toEqual(new Date(END.getTime() - 2 * 24 * 3600_000));
    expect(input.ScanBy).toBe('TimestampDescending');
    const asked = Object.fromEntries(
      (input.MetricDataQueries ?? []).map((query) => {
        const stat = query.MetricStat!;
        const dimensions = Object.fromEntries((stat.Metric!.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        return [query.Id, [stat.Metric!.Namespace, stat.Metric!.MetricName, dimensions, stat.Stat, stat.Period]];
      }),
    );
    const queue = { QueueName: 'audit-events.fifo' };
    const writer = { FunctionName: 'writer-fn' };
    const sealer = { service: 'sealer' };
    const maintenance = { service: 'maintenance' };
    expect(asked).toEqual({
      queue_age: ['AWS/SQS', 'ApproximateAgeOfOldestMessage', queue, 'Maximum', 300],
      writer_invocations: ['AWS/Lambda', 'Invocations', writer, 'Sum', 300],
      writer_errors: ['AWS/Lambda', 'Errors', writer, 'Sum', 300],
      writer_p99: ['AWS/Lambda', 'Duration', writer, 'p99', 300],
      events_info: ['FleetAuditTrail', 'Events', { severity: 'INFO' }, 'Sum', 300],
      events_warning: ['FleetAuditTrail', 'Events', { severity: 'WARNING' }, 'Sum', 300],
      events_error: ['FleetAuditTrail', 'Events', { severity: 'ERROR' }, 'Sum', 300],
      events_critical: ['FleetAuditTrail', 'Events', { severity: 'CRITICAL' }, 'Sum', 300],
      seal_checkpoint: ['FleetAuditTrail', 'CheckpointNumber', sealer, 'Maximum', 60],
      seal_sealed: ['FleetAuditTrail', 'EventsSealed', sealer, 'Sum', 60],
      seal_lag: ['FleetAuditTrail', 'SealLagSeconds', sealer, 'Maximum', 60],
      maintenance_runs: ['FleetAuditTrail', 'MaintenanceRuns', maintenance, 'Sum', 60],
      maintenance_created: ['FleetAuditTrail', 'PartitionsCreated', maintenance, 'Sum', 60],
      maintenance_archived: ['FleetAuditTrail', 'PartitionsArchived', maintenance, 'Sum', 60],
      maintenance_failures: ['FleetAuditTrail', 'MaintenanceFailures', maintenance, 'Sum', 60],
      maintenance_continuations: ['FleetAuditTrail', 'MaintenanceContinuations', maintenance, 'Sum', 60],
      maintenance_stopped: ['FleetAuditTrail', 'MaintenanceContinuationsStopped', maintenance, 'Sum', 60],
      verification_failures: ['FleetAuditTrail', 'VerificationFailures', maintenance, 'Sum', 60],
    });
    expect(input.MetricDataQueries).toHaveLength(Object.keys(asked).length);
    // Two days of the minute series and the window series stay far under one page of 100,800 datapoints.
    const points = (input.MetricDataQueries ?? []).reduce((sum, q) => sum + (2 * 86_400) / q.MetricStat!.Period!, 0);
    expect(points).toBeLessThan(100_800);
  });

  it("maps the newest datapoints: the queue's age, the writer's window, the last seal, maintenance and verification", async () => {
    const sealedAt = minutesBefore(1);
    const maintainedAt = new Date('2026-12-01T04:45:00Z');
    answer([
      // Out of order on purpose: the newest is picked, whatever the order of the answer.
      result('queue_age', [
        [minutesBefore(10), 30],
        [minutesBefore(5), 42],
      ]),
      // The window's bucket, and an older one outside the window that must not count.
      result('writer_invocations', [
        [minutesBefore(5), 12],
        [minutesBefore(10), 500],
      ]),
      result('writer_errors', [[minutesBefore(5), 1]]),
      result('writer_p99', [
        [minutesBefore(5), 183.4],
        [minutesBefore(10), 900],
      ]),
      result('events_info', [[minutesBefore(5), 100]]),
      result('events_critical', [[minutesBefore(5), 2]]),
      result('seal_checkpoint', [
        [minutesBefore(2), 41],
        [sealedAt, 42],
      ]),
      result('seal_sealed', [
        [minutesBefore(2), 7],
        [sealedAt, 5],
      ]),
      result('seal_lag', [[sealedAt, 3.25]]),
      result('maintenance_runs', [[maintainedAt, 1]]),
      result('maintenance_created', [[maintainedAt, 1]]),
      result('maintenance_archived', [[maintainedAt, 2]]),
      result('maintenance_failures', [[maintainedAt, 0]]),
      result('maintenance_continuations', [[maintainedAt, 0]]),
      result('maintenance_stopped', [[maintainedAt, 0]]),
      result('verification_failures', [[maintainedAt, 0]]),
    ]);
    const figures = await read();
    expect(figures.oldestAgeSeconds).toBe(42);
    expect(figures.writer).toEqual({ windowMinutes: 5, invocations: 12, errors: 1, eventsStored: 102, p99Ms: 183.4 });
    expect(figures.lastSeal).toEqual({
      at: sealedAt.toISOString(),
      checkpoint: 42,
      sealed: 5,
      summary: 'sealed 5 events: checkpoint 42; lag 3.3 s',
    });
    expect(figures.lastMaintenance).toEqual({
      at: maintainedAt.toISOString(),
      status: 'done',
      summary: 'done; created 1 partition; archived 2 months',
      archived: null,
    });
    expect(figures.lastVerification).toEqual({ at: maintainedAt.toISOString(), ok: true, summary: 'no divergence' });
    // What the view serves from them is the schema's.
    operationsStatusSchema.parse({
      at: NOW.toISOString(),
      queue: { visible: 0, inFlight: 0, oldestAgeSeconds: figures.oldestAgeSeconds },
      deadLetters: null,
      writer: figures.writer,
      partitions: null,
      lastMaintenance: figures.lastMaintenance,
      lastSeal: figures.lastSeal,
      lastVerification: figures.lastVerification,
      sinks: [],
    });
  });

  it('tells a failed run, a paused one, and a verification that found divergences', async () => {
    const failedAt = new Date('2026-12-01T04:45:00Z');
    const pausedAt = new Date('2026-11-30T04:45:00Z');
    answer([
      result('maintenance_runs', [
        [pausedAt, 1],
        [failedAt, 1],
      ]),
      result('maintenance_failures', [
        [pausedAt, 0],
        [failedAt, 1],
      ]),
      result('maintenance_continuations', [[pausedAt, 1]]),
      result('verification_failures', [[pausedAt, 3]]),
    ]);
    const figures = await read();
    expect(figures.lastMaintenance).toMatchObject({ at: failedAt.toISOString(), status: 'failed' });
    expect(figures.lastVerification).toMatchObject({ at: pausedAt.toISOString(), ok: false });
    expect(figures.lastVerification?.summary).toMatch(/^3 findings/);

    cloudwatch.reset();
    answer([result('maintenance_runs', [[pausedAt, 1]]), result('maintenance_stopped', [[pausedAt, 1]])]);
    expect((await read()).lastMaintenance).toMatchObject({ status: 'paused', archived: null });
  });

  it('keeps null for what CloudWatch has no datapoint of, and counts a writer without datapoints as idle', async () => {
    answer([
      // The queue's newest age is from 20 minutes ago: not its age now.
      result('queue_age', [[minutesBefore(20), 600]]),
      // An invocation outside the window only.
      result('writer_invocations', [[minutesBefore(15), 3]]),
      { Id: 'seal_checkpoint', StatusCode: 'Complete', Timestamps: [], Values: [] },
    ]);
    expect(await read()).toEqual({
      oldestAgeSeconds: null,
      writer: { windowMinutes: 5, invocations: 0, errors: 0, eventsStored: 0, p99Ms: null },
      lastMaintenance: null,
      lastSeal: null,
      lastVerification: null,
    });
  });

  it('fails when CloudWatch does (the view then says its figures are not known)', async () => {
    cloudwatch.on(GetMetricDataCommand).rejects(new Error('AccessDenied'));
    await expect(read()).rejects.toThrow('AccessDenied');
  });
});
