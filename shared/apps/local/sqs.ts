import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { MAX_RECEIVE_COUNT } from '../../core/contracts/queue.ts';

/** Lambda's default for SQS sources is 30 s; the local writer is fast, so a short timeout redelivers failures sooner. */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 5;

export interface LocalQueues {
  client: SQSClient;
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  stop(): Promise<void>;
}

/** An SQS-protocol endpoint (fauxqs) with the FIFO queue and FIFO DLQ declared as on AWS, for the real SQS client. */
export async function startLocalQueues(): Promise<LocalQueues> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const fifo = {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
  };
  const dlq = server.createQueue('audit-events-dlq.fifo', {
    attributes: { ...fifo, MessageRetentionPeriod: '1209600' },
  });
  const queue = server.createQueue('audit-events.fifo', {
    attributes: {
      ...fifo,
      VisibilityTimeout: String(LOCAL_VISIBILITY_TIMEOUT_SECONDS),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    },
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint,
    queueUrl: queue.queueUrl,
    deadLetterQueueUrl: dlq.queueUrl,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
