import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createIngestHttpHandler } from '../../shared/apps/ingest-http.ts';
import { createIngestIotHandler } from '../../shared/apps/ingest-iot.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { MAX_REQUEST_BYTES, MAX_REQUEST_EVENTS } from '../../shared/core/ingest/http-body.ts';
import { recordingQueue } from '../support/recording-queue.ts';

/** POST /events as `user` with the token's groups, as API Gateway's JWT authorizer passes them. */
function post(groups: string[], body: unknown, user = 'bob'): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      authorizer: { jwt: { claims: { 'cognito:username': user, 'cognito:groups': groups }, scopes: [] } },
      http: { method: 'POST', path: '/events', sourceIp: '203.0.113.7' },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const robot = { type: 'robot.online', entity: { type: 'robot', id: 'r-1' }, payload: { reason: 'boot' } };
const accessed = {
  type: 'audit.accessed',
  entity: { type: 'user', id: 'carol' },
  payload: { route: 'GET /events/export', filters: {}, rows: 123456 },
};
const roleChanged = { type: 'user.role.changed', entity: { type: 'user', id: 'carol' }, payload: { to: 'admin' } };

function http() {
  const queue = recordingQueue();
  const handle = createIngestHttpHandler({ queue, catalog: createCatalog() });
  return {
    queue,
    async send(groups: string[], body: unknown) {
      const response = await handle(post(groups, body));
      return { status: response.statusCode, body: JSON.parse(response.body as string) };
    },
  };
}

describe('POST /events: who may emit what', () => {
  it('refuses an operator posting audit.accessed about another user with 403 and the reason; nothing is queued', async () => {
    const { queue, send } = http();
    const response = await send(['operator'], [robot, accessed]);
    expect(response).toEqual({
      status: 403,
      body: {
        error: '1 of 2 events are of types role operator may not emit over HTTP; nothing was accepted',
        issues: [
          {
            index: 1,
            path: 'type',
            message:
              'audit.accessed may not be emitted by role operator over http; it may be emitted by: the trail itself (internal)',
          },
        ],
      },
    });
    expect(queue.messages).toEqual([]);
  });

  it('refuses an admin posting user.role.changed; the identity source may, and is the stamped actor', async () => {
    const { queue, send } = http();
    const refused = await send(['admin'], roleChanged);
    expect(refused.status).toBe(403);
    expect(refused.body.issues[0].message).toMatch(/may be emitted by: identity over HTTP \(http:identity\)/);
    expect(queue.messages).toEqual([]);

    const accepted = await send(['identity'], roleChanged);
    expect(accepted).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(queue.events()).toMatchObject([{ type: 'user.role.changed', actor: { type: 'user', id: 'bob' } }]);
  });

  it('the identity source may not post fleet events', async () => {
    const { queue, send } = http();
    const response = await send(['identity'], robot);
    expect(response.status).toBe(403);
    expect(response.body.issues[0].message).toMatch(/^robot\.online may not be emitted by role identity over http; /);
    expect(queue.messages).toEqual([]);
  });

  it('refuses roles that may emit nothing over HTTP before reading the body, naming the roles that may', async () => {
    const { send } = http();
    for (const groups of [['auditor'], ['device'], []]) {
      const response = await send(groups, robot);
      expect(response.status).toBe(403);
      expect(response.body.error).toMatch(/may not post events; needs one of admin, operator, identity$/);
    }
  });

  it('a forbidden type is 403 even when other events of the request are invalid', async () => {
    const { send } = http();
    const response = await send(['operator'], [{ ...robot, payload: 'x' }, accessed]);
    expect(response.status).toBe(403);
    expect(response.body.issues).toEqual([expect.objectContaining({ index: 1, path: 'type' })]);
  });
});

describe('MQTT (the IoT rule): who may emit what, and the per-message limits', () => {
  const RULE = { thing: 'r-17', clientId: 'r-17', receivedAt: Date.parse('2026-05-10T12:00:00Z') };
  const ruleEvent = (device: unknown) => ({ payload: Buffer.from(JSON.stringify(device)).toString('base64'), ...RULE });
  const device = { ...robot, entity: { type: 'robot', id: 'r-17' } };

  function iot() {
    const queue = recordingQueue();
    return { queue, handle: createIngestIotHandler({ queue, catalog: createCatalog() }) };
  }

  it.each([
    ['user.role.changed', roleChanged, /user\.role\.changed may not be emitted by role device over iot/],
    ['audit.accessed', accessed, /audit\.accessed may not be emitted by role device over iot/],
    ['user.override', { ...roleChanged, type: 'user.override' }, /user\.override may not be emitted by role device/],
  ])('a device posting %s is refused with the reason; nothing is queued', async (_, event, message) => {
    const { queue, handle } = iot();
    const result = await handle(ruleEvent({ events: [device, event] }));
    expect(result).toEqual({
      rejected: '2 event(s) from r-17 refused: types a device may not emit',
      issues: [{ index: 1, path: 'type', message: expect.stringMatching(message) }],
    });
    expect(queue.messages).toEqual([]);
  });

  it(`refuses a message of more than ${MAX_REQUEST_EVENTS} events, as POST /events does; takes ${MAX_REQUEST_EVENTS}`, async () => {
    const { queue, handle } = iot();
    const tooMany = await handle(ruleEvent({ events: Array.from({ length: 3000 }, () => device) }));
    expect(tooMany).toEqual({
      rejected: `the device payload holds 3000 events; the limit is ${MAX_REQUEST_EVENTS} per message, as for POST /events`,
      issues: [],
    });
    expect(queue.messages).toEqual([]);

    const atLimit = await handle(ruleEvent({ events: Array.from({ length: MAX_REQUEST_EVENTS }, () => device) }));
    expect('accepted' in atLimit && atLimit.accepted).toHaveLength(MAX_REQUEST_EVENTS);
  });

  it('refuses a message of more than 1 MiB, as POST /events does', async () => {
    const { queue, handle } = iot();
    const padded = { ...device, payload: { reason: 'x'.repeat(MAX_REQUEST_BYTES) } };
    const result = await handle(ruleEvent(padded));
    expect(result).toMatchObject({
      rejected: expect.stringMatching(/^the device payload is \d+ bytes; the limit is 1048576 \(1 MiB\), as for POST/),
    });
    expect(queue.messages).toEqual([]);
  });
});
