import { resolve } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { lambdaIngestInvoker } from '../../adapters/lambda/ingest-invoker.ts';
import { createSqsClient } from '../../adapters/sqs/client.ts';
import { SqsHoldingQueue } from '../../adapters/sqs/holding-queue.ts';
import { SqsEventQueue } from '../../adapters/sqs/sqs-queue.ts';
import { eventsDeadLetters } from '../../core/dlq/events-dlq.ts';
import { iotFailures } from '../../core/dlq/iot-failures.ts';
import type { DeadLetterKind, DLQ_QUEUES } from '../../core/dlq/summary.ts';
import { type RedriveOptions, type RedriveOutcome, redriveDeadLetters } from '../../core/dlq/workflow.ts';
import type { HoldingQueue } from '../../core/ports/dead-letters.ts';
import { localSqsClient, readStackInfo } from '../local/stack-info.ts';
import { deadLetterQueueUrl, loadConfig, queueUrl } from '../runtime/config.ts';

/** Where `trail dlq` reads and redrives: the options, each falling back to its environment variable. */
export interface DlqLocation {
  queue: (typeof DLQ_QUEUES)[number];
  queueUrl?: string | undefined;
  deadLetterQueueUrl?: string | undefined;
  iotFailuresUrl?: string | undefined;
  iotIngestFunction?: string | undefined;
  dataDir?: string | undefined;
}

/** A dead-letter queue, how its messages read, and where a redrive resends them. */
export interface DlqTarget {
  /** For messages: which queue, where. */
  name: string;
  queue: HoldingQueue;
  kind: Pick<DeadLetterKind<unknown>, 'describe' | 'show'>;
  redrive(
    select: RedriveOptions<unknown>['select'],
    onOutcome: (outcome: RedriveOutcome) => void,
  ): Promise<RedriveOutcome[]>;
  close(): void;
}

function target<A>(
  name: string,
  queue: HoldingQueue,
  kind: DeadLetterKind<A>,
  resend: RedriveOptions<A>['resend'],
  close: () => void,
): DlqTarget {
  return {
    name,
    queue,
    kind,
    redrive: (select, onOutcome) => redriveDeadLetters(queue, { kind, resend, select, onOutcome }),
    close,
  };
}

const eventsShape = {
  QUEUE_URL: queueUrl.describe(`${queueUrl.description}, where a redrive resends (or --queue-url)`),
  DLQ_URL: deadLetterQueueUrl.describe(`${deadLetterQueueUrl.description} (or --dead-letter-queue-url)`),
};
const iotShape = {
  IOT_FAILURES_URL: z
    .url()
    .describe(
      'URL of the IoT ingest on-failure queue, stack output IotFailedInvocationsQueueUrl (or --iot-failures-url)',
    ),
  IOT_INGEST_FUNCTION: z
    .string()
    .min(1)
    .describe('name of the IoT ingest function, stack output IotIngestFunctionName (or --iot-ingest-function)'),
};

/**
 * The events DLQ on AWS when a queue URL is given (option or QUEUE_URL / DLQ_URL, both then required), else the
 * running local stack's (DATA_DIR/stack.json); the IoT on-failure queue exists on AWS only.
 */
export async function dlqTarget(location: DlqLocation, env: NodeJS.ProcessEnv = process.env): Promise<DlqTarget> {
  if (location.queue === 'iot-failures') {
    const config = loadConfig(iotShape, {
      IOT_FAILURES_URL: location.iotFailuresUrl ?? env.IOT_FAILURES_URL,
      IOT_INGEST_FUNCTION: location.iotIngestFunction ?? env.IOT_INGEST_FUNCTION,
    });
    const sqs = createSqsClient({});
    const lambda = new LambdaClient({});
    return target(
      `the IoT on-failure queue ${config.IOT_FAILURES_URL}`,
      new SqsHoldingQueue(sqs, config.IOT_FAILURES_URL),
      iotFailures,
      lambdaIngestInvoker(lambda, config.IOT_INGEST_FUNCTION),
      () => {
        sqs.destroy();
        lambda.destroy();
      },
    );
  }
  const urls = {
    QUEUE_URL: location.queueUrl ?? env.QUEUE_URL,
    DLQ_URL: location.deadLetterQueueUrl ?? env.DLQ_URL,
  };
  if (urls.QUEUE_URL || urls.DLQ_URL) {
    const config = loadConfig(eventsShape, urls);
    return eventsTarget(createSqsClient({}), config.QUEUE_URL, config.DLQ_URL);
  }
  const info = await readStackInfo(resolve(location.dataDir ?? env.DATA_DIR ?? '.data'));
  return eventsTarget(localSqsClient(info), info.queueUrl, info.deadLetterQueueUrl);
}

function eventsTarget(sqs: SQSClient, queueUrl: string, deadLetterQueueUrl: string): DlqTarget {
  const queue = new SqsEventQueue(sqs, queueUrl);
  return target(
    `the events dead-letter queue ${deadLetterQueueUrl}`,
    new SqsHoldingQueue(sqs, deadLetterQueueUrl),
    eventsDeadLetters,
    async (message) => {
      await queue.send([message]);
      return undefined;
    },
    () => sqs.destroy(),
  );
}
