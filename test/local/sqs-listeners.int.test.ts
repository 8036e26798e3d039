import { mkdtemp, rm } from 'node:fs/promises';
import { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSqsEndpoint } from '../../shared/apps/local/sqs-endpoint.ts';

describe('the local SQS endpoint', () => {
  const listen = Server.prototype.listen;
  afterEach(() => {
    Server.prototype.listen = listen;
  });

  it('listens once, on loopback: the journaling proxy; the emulator behind it has no socket that skips the journal', async () => {
    const listened: unknown[][] = [];
    Server.prototype.listen = function (this: Server, ...args: unknown[]) {
      listened.push(args.filter((arg) => typeof arg !== 'function'));
      return (listen as (...a: unknown[]) => Server).apply(this, args);
    } as typeof listen;
    const dataDir = await mkdtemp(join(tmpdir(), 'trail-sqs-listeners-'));
    const endpoint = await startSqsEndpoint({ dataDir, maxBacklogMb: 1 });
    try {
      expect(listened).toEqual([[0, '127.0.0.1']]);
      expect(new URL(endpoint.endpoint).hostname).toBe('127.0.0.1');
    } finally {
      await endpoint.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
