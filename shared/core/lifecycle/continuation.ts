import { z } from 'zod';
import type { MaintenanceResult } from './result.ts';

/**
 * A paused maintenance run continues in a new invocation of the same function minutes later, instead of on the next
 * daily run: a month too big for one invocation (15 minutes on Lambda) is archived in one chain of invocations.
 *
 * Why the function invokes itself (asynchronously, with the event below) rather than a schedule every few minutes:
 * a continuation exists exactly when a run paused, so nothing runs while there is no work, and the chain's state
 * (how far it went) travels in the event, with no table or rule to switch on and off. A paused run has released the
 * maintenance lock before it asks, so the continuation takes it; with one reserved slot the continuation waits for
 * the current invocation to end (Lambda retries a throttled asynchronous event for up to six hours). What bounds it:
 * - `hop` counts the invocations of the chain; at `maxHops` the chain stops, loudly (error log, metric, alarm), and
 *   the next daily run starts a new one. A run that pauses without getting anywhere cannot loop forever.
 * - a failed run throws and never continues (Lambda's own retries of that event, then the daily run, take over).
 * - a continuation that finds the lock taken (by a `trail maintain` run, or a session of a killed invocation not
 *   yet closed) throws rather than asking for another continuation at once, which would spin: Lambda retries the
 *   event twice, a minute and then two minutes later, then drops it; the Errors alarm says so, and the daily run
 *   resumes the work.
 */
export interface Continuation {
  /** 1 for the first continuation of a daily (or deploy-time, or manual) run, 2 for the next, … */
  hop: number;
  /** When the run that started the chain began. */
  chainStartedAt: string;
}

/** The event a continuation invocation receives. */
export interface ContinuationEvent {
  continuation: Continuation;
}

export const DEFAULT_MAX_CONTINUATIONS = 24;

export const continuationConfigShape = {
  MAINTENANCE_MAX_CONTINUATIONS: z.coerce
    .number()
    .int()
    .min(0)
    .max(500)
    .default(DEFAULT_MAX_CONTINUATIONS)
    .describe('invocations a paused maintenance run may chain before it waits for the next daily run (0: never)'),
};

/** Starts another invocation of the function `functionName`, asynchronously, with `event`: the port to Lambda. */
export type StartContinuation = (event: ContinuationEvent, functionName: string) => Promise<void>;

const continuationEventSchema = z.object({
  continuation: z.strictObject({ hop: z.number().int().min(1), chainStartedAt: z.iso.datetime() }),
});

/**
 * The continuation an invocation's event carries, or undefined for any other event (the schedule's, the deploy
 * trigger's, a manual one): those start a chain. An event that claims to be a continuation but is malformed is
 * refused rather than run as a fresh start, which would reset the hop count.
 */
export function continuationOf(event: unknown): Continuation | undefined {
  if (typeof event !== 'object' || event === null || !('continuation' in event)) return undefined;
  const parsed = continuationEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`not a maintenance continuation event: ${parsed.error.issues[0]?.message}`);
  return parsed.data.continuation;
}

export type ContinuationOutcome =
  /** Nothing left to continue: the run finished, failed, or (not being a continuation) skipped for another run. */
  | { action: 'none' }
  /** Paused: the next invocation has been asked for. */
  | { action: 'continued'; next: Continuation; maxHops: number }
  /** Paused, but the chain is at its bound: the rest waits for the next daily run. */
  | { action: 'stopped'; hop: number; maxHops: number; chainStartedAt: string }
  /** A continuation found another run holding the lock: the caller throws, so Lambda retries it later. */
  | { action: 'blocked'; hop: number };

/** Decides what follows a run, and asks for the next invocation when the run paused and the chain may go on. */
export async function continueMaintenance(
  result: MaintenanceResult,
  current: Continuation | undefined,
  deps: { start: StartContinuation; functionName: string; maxHops: number },
): Promise<ContinuationOutcome> {
  if (result.status === 'skipped' && current) return { action: 'blocked', hop: current.hop };
  if (result.status !== 'paused') return { action: 'none' };
  const hop = current?.hop ?? 0;
  const chainStartedAt = current?.chainStartedAt ?? result.now;
  if (hop >= deps.maxHops) return { action: 'stopped', hop, maxHops: deps.maxHops, chainStartedAt };
  const next = { hop: hop + 1, chainStartedAt };
  try {
    await deps.start({ continuation: next }, deps.functionName);
  } catch (error) {
    // Thrown on: an asynchronous invocation that fails is retried by Lambda, and the retry resumes the work itself.
    throw new Error(`could not start maintenance continuation ${next.hop}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { action: 'continued', next, maxHops: deps.maxHops };
}
