import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalQueues, startLocalQueues } from '../../shared/apps/local/sqs.ts';

/** The local SQS endpoint with its journal in a temporary folder, removed on stop. */
export async function startTestQueues(maxBacklogMb = 64): Promise<LocalQueues & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trail-queues-'));
  const queues = await startLocalQueues({ dataDir, maxBacklogMb });
  return {
    ...queues,
    dataDir,
    async stop() {
      await queues.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
