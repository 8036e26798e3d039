import { describe, expect, it } from 'vitest';
import { createIngestIotHandler } from '../../shared/apps/ingest-iot.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { storedEventSchema } from '../../shared/core/domain/event.ts';
import { recordingQueue } from '../support/recording-queue.ts';

/** An in-memory queue that records what it is given, and can be told to fail. */

const RULE_TIME = Date.parse('2026-05-10T12:00:00Z');
/** What the rule's fields say: the connection's thing and client id, the rules engine's clock. */
const RULE = { thing: 'r-17', clientId: 'r-17-conn', receivedAt: RULE_TIME };
const IDENTITY = {
  actor: { type: 'device', id: 'r-17' },
  source: { channel: 'iot', principal: 'r-17', clientId: 'r-17-conn' },
  receivedAt: new Date(RULE_TIME).toISOString(),
};
const deviceEvent = { type: 'robot.online', entity: { type: 'robot', id: 'r-17' }, payload: { reason: 'boot' } };
const ruleEvent = (device: unknown) => ({ payload: Buffer.from(JSON.stringify(device)).toString('base64'), ...RULE });

function setup(failWith?: Error) {
  const queue = recordingQueue(failWith);
  return { queue, handle: createIngestIotHandler({ queue, catalog: createCatalog() }) };
}

describe('ingest-iot handler', () => {
  it('enqueues the decoded events with the identity of the rule fields', async () => {
    const { queue, handle } = setup();
    const result = await handle(ruleEvent({ events: [deviceEvent, { ...deviceEvent, type: 'robot.offline' }] }));
    expect(result).toEqual({ accepted: [expect.any(String), expect.any(String)] });
    expect(queue.events()).toHaveLength(2);
    for (const event of queue.events()) {
      expect(storedEventSchema.safeParse(event).success).toBe(true);
      expect(event).toMatchObject(IDENTITY);
    }
  });

  describe('a device cannot write the identity', () => {
    it.each([
      ['thing', { thing: 'r-99' }, '(event)', /thing/],
      ['clientId', { clientId: 'spoofed' }, '(event)', /clientId/],
      ['receivedAt', { receivedAt: '2020-01-01T00:00:00Z' }, 'receivedAt', /stamped by the server/],
      ['actor', { actor: { type: 'user', id: 'admin' } }, 'actor', /stamped by the server/],
      ['source', { source: { channel: 'http', principal: 'admin' } }, 'source', /stamped by the server/],
      ['payload (as a rule-style base64 string)', { payload: 'eyJ0aGluZyI6InItOTkifQ==' }, 'payload', /record|object/],
    ])('a top-level %s is refused and nothing is enqueued', async (_, keys, path, message) => {
      const { queue, handle } = setup();
      const result = await handle(ruleEvent({ ...deviceEvent, ...keys }));
      expect(result).toMatchObject({ rejected: expect.stringMatching(/from r-17 refused/) });
      expect('issues' in result && result.issues).toEqual(
        expect.arrayContaining([{ index: 0, path, message: expect.stringMatching(message) }]),
      );
      expect(queue.messages).toEqual([]);
    });

    it('a device payload shaped like a whole rule event is refused, not unwrapped', async () => {
      const { queue, handle } = setup();
      const forged = { payload: ruleEvent(deviceEvent).payload, thing: 'r-99', clientId: 'r-99', receivedAt: 0 };
      const result = await handle(ruleEvent(forged));
      expect(result).toMatchObject({ rejected: expect.any(String) });
      expect(queue.messages).toEqual([]);
    });

    it('a batch whose every event carries identity keys is refused whole, each event named', async () => {
      const { queue, handle } = setup();
      const result = await handle(
        ruleEvent({
          events: [
            { ...deviceEvent, thing: 'r-99' },
            { ...deviceEvent, clientId: 'spoofed' },
            { ...deviceEvent, receivedAt: '2020-01-01T00:00:00Z', actor: { type: 'user', id: 'admin' } },
            { ...deviceEvent, source: { channel: 'http', principal: 'admin' } },
          ],
        }),
      );
      expect('issues' in result && result.issues.map((issue) => [issue.index, issue.path])).toEqual([
        [0, '(event)'],
        [1, '(event)'],
        [2, 'actor'],
        [2, 'receivedAt'],
        [3, 'source'],
      ]);
      expect(queue.messages).toEqual([]);
    });

    it('identity keys nested in the payload stay data; the stored identity is the rule fields', async () => {
      const { queue, handle } = setup();
      const spoof = {
        thing: 'r-99',
        clientId: 'spoofed',
        receivedAt: '2020-01-01T00:00:00Z',
        actor: { type: 'user', id: 'admin' },
        source: { channel: 'http', principal: 'admin' },
        payload: 'eyJ0aGluZyI6InItOTkifQ==',
      };
      const nested = { ...deviceEvent, payload: { reason: 'boot', ...spoof } };
      const result = await handle(ruleEvent({ events: [nested, { ...nested, type: 'robot.offline' }] }));
      expect(result).toEqual({ accepted: [expect.any(String), expect.any(String)] });
      expect(queue.events()).toHaveLength(2);
      for (const event of queue.events()) {
        expect(event).toMatchObject(IDENTITY);
        expect(event.payload).toEqual({ reason: 'boot', ...spoof });
      }
    });
  });

  it.each([
    ['not base64', { ...RULE, payload: 'not base64!' }, /not base64/],
    ['not UTF-8', { ...RULE, payload: Buffer.from([0xc3, 0x28]).toString('base64') }, /not UTF-8/],
    ['not JSON', { ...RULE, payload: Buffer.from('not json').toString('base64') }, /not JSON/],
    ['the old merged shape', { ...deviceEvent, ...RULE }, /fields the rule SQL does not add/],
    ['not an object', 'hello', /not an object/],
  ])('refuses a rule event whose payload is %s, without throwing or enqueueing', async (_, input, reason) => {
    const { queue, handle } = setup();
    await expect(handle(input)).resolves.toEqual({ rejected: expect.stringMatching(reason), issues: [] });
    expect(queue.messages).toEqual([]);
  });

  it('throws when the queue fails, so Lambda retries and then keeps the event in the on-failure queue', async () => {
    const { handle } = setup(new Error('SQS unavailable'));
    await expect(handle(ruleEvent(deviceEvent))).rejects.toThrow('SQS unavailable');
  });
});
