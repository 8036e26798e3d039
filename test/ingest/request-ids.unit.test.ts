import { describe, expect, it } from 'vitest';
import { createIngestHttpHandler } from '../../shared/apps/ingest-http.ts';
import { createIngestIotHandler } from '../../shared/apps/ingest-iot.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { operatorPost } from '../support/http-events.ts';
import { recordingQueue } from '../support/recording-queue.ts';

const id = '0196b3a0-1234-7abc-8def-0123456789ab';
const event = (entity: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'robot.online',
  occurredAt: '2026-05-10T11:00:00Z',
  entity: { type: 'robot', id: entity },
  ...extra,
});

function http(at = '2026-05-10T12:00:00Z') {
  const queue = recordingQueue();
  const handle = createIngestHttpHandler({ queue, catalog: createCatalog(), clock: () => new Date(at) });
  return {
    queue,
    async post(body: unknown) {
      const response = await handle(operatorPost(JSON.stringify(body)));
      return { status: response.statusCode, body: JSON.parse(response.body as string) };
    },
  };
}

describe('one id, one event, within a request', () => {
  it('answers 409 naming both events when a request uses one id for two different events; queues nothing', async () => {
    const { queue, post } = http();
    const response = await post([event('r-1'), { ...event('r-2'), id: undefined }, event('r-3')]);
    expect(response).toEqual({
      status: 409,
      body: {
        error: '1 event(s) reuse an id of another event of this request with different content; nothing was accepted',
        issues: [
          {
            index: 2,
            path: 'id',
            message: `${id} is also the id of event 0 of this request, with different content: an id names one event`,
          },
        ],
      },
    });
    expect(queue.messages).toEqual([]);
  });

  it('answers 400 for the same event twice in one request', async () => {
    const { queue, post } = http();
    const response = await post([event('r-1'), event('r-1')]);
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      { index: 1, path: 'id', message: expect.stringMatching(/^repeats event 0 of this request/) },
    ]);
    expect(queue.messages).toEqual([]);
  });

  it('a retried request queues messages with the same deduplication ids, another event under the id other ones', async () => {
    const first = http('2026-05-10T12:00:00Z');
    const retry = http('2026-05-10T12:03:00Z');
    const reuse = http('2026-05-10T12:03:00Z');
    expect((await first.post([event('r-1')])).status).toBe(202);
    expect((await retry.post([event('r-1')])).status).toBe(202);
    expect((await reuse.post([event('r-1', { payload: { reason: 'other' } })])).status).toBe(202);
    const [sent] = first.queue.messages;
    expect(retry.queue.messages.map((m) => m.deduplicationId)).toEqual([sent!.deduplicationId]);
    expect(reuse.queue.messages.map((m) => m.deduplicationId)).not.toEqual([sent!.deduplicationId]);
  });

  it('over MQTT, refuses the message and names both events', async () => {
    const queue = recordingQueue();
    const handle = createIngestIotHandler({ queue, catalog: createCatalog() });
    const result = await handle({
      payload: Buffer.from(
        JSON.stringify({ events: [event('r-17'), event('r-17', { payload: { reason: 'x' } })] }),
      ).toString('base64'),
      thing: 'r-17',
      receivedAt: Date.parse('2026-05-10T12:00:00Z'),
    });
    expect(result).toEqual({
      rejected: '2 event(s) from r-17 refused',
      issues: [{ index: 1, path: 'id', message: expect.stringContaining('is also the id of event 0 of this request') }],
    });
    expect(queue.messages).toEqual([]);
  });
});
