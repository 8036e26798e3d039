/** Lambda's default for SQS sources is 30 s; the local writer is fast, so a short timeout redelivers failures sooner. */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 5;

export const LOCAL_QUEUE_NAME = 'audit-events.fifo';
export const LOCAL_DEAD_LETTER_QUEUE_NAME = 'audit-events-dlq.fifo';

export interface LocalQueueOptions {
  /** Where the journal lives (`<dataDir>/queue/journal.ndjson`). */
  dataDir: string;
  /** The events queue's bound in MiB (LOCAL_QUEUE_MAX_MB); the DLQ has none (a dead letter is never refused). */
  maxBacklogMb: number;
  /** Called if the endpoint's worker thread ends before stop (never sent to the worker). */
  onUnexpectedExit?: (error: Error) => void;
}
