import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createSqsClient } from '../../shared/adapters/sqs/client.ts';
import { startSqsEndpoint } from '../../shared/apps/local/sqs-endpoint.ts';

describe('createSqsClient', () => {
  it('caches the resolved middleware per command class and keeps what the caller sets', async () => {
    const client = createSqsClient({ region: 'eu-west-1' });
    expect(client.config.cacheMiddleware).toBe(true);
    expect(await client.config.region()).toBe('eu-west-1');
    expect(createSqsClient({ cacheMiddleware: false }).config.cacheMiddleware).toBe(false);
  });

  it('sends, receives and deletes with one cached client, each command with its own input', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'trail-sqs-client-'));
    const endpoint = await startSqsEndpoint({ dataDir, maxBacklogMb: 1 });
    const client = createSqsClient({
      endpoint: endpoint.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      for (const body of ['first', 'second'])
        await client.send(
          new SendMessageCommand({
            QueueUrl: endpoint.queueUrl,
            MessageBody: body,
            MessageGroupId: body,
            MessageDeduplicationId: body,
          }),
        );
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: endpoint.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      expect(received.Messages?.map((m) => m.Body).sort()).toEqual(['first', 'second']);
      for (const message of received.Messages ?? [])
        await client.send(
          new DeleteMessageCommand({ QueueUrl: endpoint.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      const after = await client.send(new ReceiveMessageCommand({ QueueUrl: endpoint.queueUrl, WaitTimeSeconds: 0 }));
      expect(after.Messages ?? []).toEqual([]);
    } finally {
      client.destroy();
      await endpoint.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
