import { existsSync } from 'node:fs';
import { appendFile, readFile, rm } from 'node:fs/promises';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * The local queue lives in memory, so on shutdown whatever is still queued (accepted with 202, not yet written) or
 * parked in the DLQ is saved to a file and put back on the next start: nothing accepted is lost across restarts.
 */
export interface SpooledMessage {
  groupId: string;
  deduplicationId: string;
  body: string;
  reason?: string;
  /** A dead letter's `originalMessageId` attribute. */
  originalMessageId?: string;
}

/**
 * Moves every message of the queue into the file. Messages still in flight (a failed delivery waiting out its
 * visibility timeout) are waited for, up to `maxWaitMs`; the caller must have stopped its consumers.
 */
export async function spoolQueue(
  client: SQSClient,
  queueUrl: string,
  file: string,
  maxWaitMs = 30_000,
): Promise<number> {
  let count = 0;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      if ((await queueDepth(client, queueUrl)) === 0) return count;
      if (Date.now() > deadline)
        throw new Error(`messages still in flight on ${queueUrl} after ${maxWaitMs} ms; they were not saved`);
      continue;
    }
    const lines = Messages.map((m) => {
      const spooled: SpooledMessage = {
        groupId: m.Attributes?.MessageGroupId ?? 'unknown',
        deduplicationId: m.Attributes?.MessageDeduplicationId ?? m.MessageId!,
        body: m.Body ?? '',
        ...(m.MessageAttributes?.reason?.StringValue && { reason: m.MessageAttributes.reason.StringValue }),
        ...(m.MessageAttributes?.originalMessageId?.StringValue && {
          originalMessageId: m.MessageAttributes.originalMessageId.StringValue,
        }),
      };
      return `${JSON.stringify(spooled)}\n`;
    });
    await appendFile(file, lines.join(''));
    for (const m of Messages)
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    count += Messages.length;
  }
}

/** Reads a spool file and removes it once `resend` has put every message back. */
export async function restoreSpool(
  file: string,
  resend: (messages: SpooledMessage[]) => Promise<void>,
): Promise<number> {
  if (!existsSync(file)) return 0;
  const messages = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SpooledMessage);
  await resend(messages);
  await rm(file);
  return messages.length;
}

const DEPTH_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/** Messages visible, in flight or delayed. */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] }),
  );
  return DEPTH_ATTRIBUTES.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
}
