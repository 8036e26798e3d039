import { z } from 'zod';
import type { MaintenanceResult } from '../lifecycle/result.ts';
import type { SealResult } from '../tamper/seal.ts';
import { describeSeal } from '../tamper/seal-report.ts';
import type { VerificationReport } from '../tamper/verify.ts';
import { verificationSummary } from '../tamper/verify-report.ts';

/**
 * What `GET /operations`, the web UI's Operations page and `trail status` show: the figures of the CloudWatch
 * dashboard on AWS (infra/constructs/operations-dashboard.ts), now. A figure its source cannot tell is null.
 */
const instant = z.iso.datetime({ offset: true });
export const operationsStatusSchema = z.object({
  at: instant,
  queue: z
    .object({
      visible: z.number().int().nonnegative(),
      inFlight: z.number().int().nonnegative(),
      oldestAgeSeconds: z.number().nonnegative().nullable(),
    })
    .nullable(),
  deadLetters: z.object({ visible: z.number().int().nonnegative() }).nullable(),
  writer: z
    .object({
      windowMinutes: z.number().positive(),
      invocations: z.number().int().nonnegative(),
      errors: z.number().int().nonnegative(),
      eventsStored: z.number().int().nonnegative(),
      p99Ms: z.number().nonnegative().nullable(),
    })
    .nullable(),
  partitions: z.object({ months: z.array(z.string()), nextMaintenanceAt: instant.nullable() }).nullable(),
  /** `archived`: the months the run archived; null where only their count is known (CloudWatch, in the summary). */
  lastMaintenance: z
    .object({ at: instant, status: z.string(), summary: z.string(), archived: z.array(z.string()).nullable() })
    .nullable(),
  lastSeal: z
    .object({ at: instant, checkpoint: z.number().int(), sealed: z.number().int(), summary: z.string() })
    .nullable(),
  lastVerification: z.object({ at: instant, ok: z.boolean(), summary: z.string() }).nullable(),
  /**
   * Each configured sink's lag (issue 15 item 1 fills it): empty when no sink is configured, which the views say as
   * "no sinks configured".
   */
  sinks: z.array(
    z.object({
      name: z.string(),
      lagEvents: z.number().int().nonnegative(),
      lagSeconds: z.number(),
      deadLettered: z.number().int().nonnegative(),
      lastError: z.string().nullable(),
    }),
  ),
});
export type OperationsStatus = z.infer<typeof operationsStatusSchema>;

/** Where the figures come from: the running stack locally, CloudWatch and SQS on AWS. */
export type OperationsSource = () => Promise<OperationsStatus>;

/** Said wherever the sink lag would be, while no sink is configured. */
export const NO_SINKS = 'no sinks configured';

/** The last results, as the views show them: what a person reads, from the results the jobs return. */
export function maintenanceSummary(
  at: Date,
  result: MaintenanceResult,
): NonNullable<OperationsStatus['lastMaintenance']> {
  const parts = [`${result.status} in ${result.durationMs} ms`];
  if (result.created.length) parts.push(`created ${result.created.map((c) => c.month).join(', ')}`);
  if (result.archived.length) parts.push(`archived ${result.archived.map((a) => a.month).join(', ')}`);
  if (result.error) parts.push(result.error);
  return {
    at: at.toISOString(),
    status: result.status,
    summary: parts.join('; '),
    archived: result.archived.map((a) => a.month),
  };
}

export function sealSummary(at: Date, result: SealResult): NonNullable<OperationsStatus['lastSeal']> {
  return {
    at: at.toISOString(),
    checkpoint: result.checkpoint.body.number,
    sealed: result.sealed,
    summary: describeSeal(result).join('; '),
  };
}

export function verificationStatus(
  at: Date,
  report: VerificationReport,
): NonNullable<OperationsStatus['lastVerification']> {
  return { at: at.toISOString(), ok: report.ok, summary: verificationSummary(report) };
}

/** The status as lines a person reads (`trail status`). */
export function describeOperations(status: OperationsStatus): string[] {
  const unknown = 'unknown here';
  const { queue, deadLetters, writer, partitions } = status;
  const age = queue?.oldestAgeSeconds;
  return [
    `as of ${status.at}`,
    `queue: ${queue ? `${queue.visible} waiting, ${queue.inFlight} in flight, oldest ${age == null ? '-' : `${age.toFixed(0)} s`}` : unknown}`,
    `dead letters: ${deadLetters ? deadLetters.visible : unknown}`,
    `writer (last ${writer?.windowMinutes ?? '-'} min): ${
      writer
        ? `${writer.invocations} invocations, ${writer.errors} errors, ${writer.eventsStored} events stored, p99 ${writer.p99Ms == null ? '-' : `${writer.p99Ms.toFixed(0)} ms`}`
        : unknown
    }`,
    `partitions: ${partitions ? partitions.months.join(', ') || 'none' : unknown}`,
    `next maintenance: ${partitions?.nextMaintenanceAt ?? unknown}`,
    `last maintenance: ${status.lastMaintenance ? `${status.lastMaintenance.at} ${status.lastMaintenance.summary}` : 'none yet'}`,
    `last seal: ${status.lastSeal ? `${status.lastSeal.at} ${status.lastSeal.summary}` : 'none yet'}`,
    `last verification: ${status.lastVerification ? `${status.lastVerification.at} ${status.lastVerification.summary}` : 'none yet'}`,
    `sink lag: ${
      status.sinks.length
        ? status.sinks
            .map(
              (sink) =>
                `${sink.name} ${sink.lagEvents} events, ${sink.lagSeconds.toFixed(0)} s, ${sink.deadLettered} dead-lettered` +
                (sink.lastError ? ` (last error: ${sink.lastError})` : ''),
            )
            .join('; ')
        : NO_SINKS
    }`,
  ];
}
