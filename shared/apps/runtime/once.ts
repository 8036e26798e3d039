/**
 * Runs `make` on the first call and keeps its result once it succeeds; a failure is not kept, so a transient one
 * (Secrets Manager throttled at a cold start) is retried by the next call instead of failing every later request.
 */
export function onceSucceeded<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
