import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackInfo, STACK_INFO_FILE, writeStackInfo } from '../../shared/apps/local/stack-info.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trail-stack-info-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const info = (pid: number) => ({
  pid,
  httpUrl: 'http://127.0.0.1:3000',
  mqttUrl: 'mqtt://127.0.0.1:1883',
  sqsEndpoint: 'http://127.0.0.1:41234',
  queueUrl: 'http://sqs.us-east-1.127.0.0.1:41234/000000000000/audit-events.fifo',
  deadLetterQueueUrl: 'http://sqs.us-east-1.127.0.0.1:41234/000000000000/audit-events-dlq.fifo',
});

describe('DATA_DIR/stack.json', () => {
  it('is read back while its process runs, and gone once removed', async () => {
    const remove = await writeStackInfo(dir, info(process.pid));
    expect(await readStackInfo(dir)).toEqual(info(process.pid));
    await remove();
    await expect(readStackInfo(dir)).rejects.toThrow(/no local stack is running \(no .*stack\.json\): start one/);
  });

  it('left behind by a process that is gone, it does not count as a running stack', async () => {
    // Larger than any pid Linux hands out (pid_max is at most 2^22).
    const remove = await writeStackInfo(dir, info(2 ** 22 + 1));
    expect(JSON.parse(await readFile(join(dir, STACK_INFO_FILE), 'utf8')).pid).toBe(2 ** 22 + 1);
    await expect(readStackInfo(dir)).rejects.toThrow(/names process 4194305, which is gone/);
    await remove();
  });
});
