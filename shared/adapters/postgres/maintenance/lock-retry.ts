import pg from 'pg';

export interface LockRetryOptions {
  /** How long one attempt may wait for a lock before it gives up and lets the queued writers through. */
  lockTimeoutMs: number;
  attempts: number;
  /** First pause between attempts; doubled each time, with jitter. */
  backoffMs: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (attempt: number, error: Error) => void;
}

export const DEFAULT_LOCK_RETRY: LockRetryOptions = { lockTimeoutMs: 2000, attempts: 8, backoffMs: 250 };

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs DDL with a short lock_timeout, retrying with backoff. A DDL statement queued behind a long transaction blocks
 * every writer queued behind it; giving up after lockTimeoutMs and trying again later keeps writers moving.
 */
export async function withLockRetry<T>(
  client: pg.ClientBase,
  options: LockRetryOptions,
  work: () => Promise<T>,
): Promise<T> {
  const sleep = options.sleep ?? delay;
  await client.query(`SELECT set_config('lock_timeout', $1, false)`, [`${options.lockTimeoutMs}ms`]);
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isLockTimeout(error) || attempt >= options.attempts) throw error;
      options.onRetry?.(attempt, error as Error);
      await sleep(options.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** lock_not_available: lock_timeout expired (also what DETACH … CONCURRENTLY reports when its wait times out). */
export function isLockTimeout(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '55P03';
}
