import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createInteractionLogHandler } from '../../shared/apps/interaction-log.ts';
import { API_ACCESS_LOG_FORMAT } from '../../shared/core/contracts/api-access-log.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { QueueMessageBody } from '../../shared/core/ingest/packing.ts';

const T0 = Date.parse('2026-05-10T12:00:00.000Z');
type Line = Partial<Record<keyof typeof API_ACCESS_LOG_FORMAT, string>>;
/** A line as API Gateway writes it with API_ACCESS_LOG_FORMAT: every value a string, `-` when there is none. */
const line = (overrides: Line): string =>
  JSON.stringify({
    ...Object.fromEntries(Object.keys(API_ACCESS_LOG_FORMAT).map((key) => [key, '-'])),
    requestId: 'Ab1=',
    method: 'GET',
    routeKey: 'GET /events',
    path: '/events',
    status: '200',
    sourceIp: '203.0.113.7',
    userAgent: 'curl/8',
    requestTimeEpoch: String(T0),
    responseLatency: '12',
    ...overrides,
  });
const subscription = (messages: string[], messageType = 'DATA_MESSAGE'): CloudWatchLogsEvent => ({
  awslogs: {
    data: gzipSync(
      JSON.stringify({
        messageType,
        owner: '123456789012',
        logGroup: 'api-access',
        logStream: 's',
        subscriptionFilters: ['f'],
        logEvents: messages.map((message, i) => ({ id: String(i), timestamp: T0, message })),
      }),
    ).toString('base64'),
  },
});

function handler() {
  const events: StoredEvent[] = [];
  const queue = {
    send: async (messages: readonly { body: string }[]) => {
      for (const m of messages) events.push(...(JSON.parse(m.body) as QueueMessageBody).events);
    },
  };
  return {
    events,
    handle: createInteractionLogHandler({ queue, catalog: createCatalog(), clock: () => new Date(T0 + 5000) }),
  };
}

describe('the interaction log on AWS: API Gateway access log lines → audit.api.request events', () => {
  it('records the authorizer’s 401 (no claims), an authenticated request with its roles, and an unmatched path', async () => {
    const { events, handle } = handler();
    const result = await handle(
      subscription([
        line({ status: '401', requestId: 'r-401' }),
        line({
          status: '202',
          method: 'POST',
          routeKey: 'POST /events',
          username: 'alice',
          groups: '[admin auditor]',
          requestId: 'r-202',
        }),
        line({ status: '404', routeKey: '-', path: '/admin/.env', requestId: 'r-404' }),
      ]),
    );
    expect(result).toEqual({ recorded: 3, unreadable: 0 });
    expect(events.map((e) => [e.type, e.actor, e.entity, e.severity, e.payload['status']])).toEqual([
      ['audit.api.request', { type: 'service', id: 'anonymous' }, { type: 'route', id: 'GET_/events' }, 'WARNING', 401],
      ['audit.api.request', { type: 'user', id: 'alice' }, { type: 'route', id: 'POST_/events' }, 'INFO', 202],
      ['audit.api.request', { type: 'service', id: 'anonymous' }, { type: 'route', id: '(unmatched)' }, 'WARNING', 404],
    ]);
    expect(events[1]).toMatchObject({
      occurredAt: new Date(T0).toISOString(),
      source: { channel: 'internal', principal: 'alice', ip: '203.0.113.7' },
      payload: { requestId: 'r-202', roles: 'admin,auditor', durationMs: 12, userAgent: 'curl/8', count: 1 },
    });
    expect(events[2]!.payload).toMatchObject({ route: '(unmatched)', path: '/admin/.env' });
  });

  it('summarizes a flood of identical failures in one delivery: counts add up', async () => {
    const { events, handle } = handler();
    const flood = Array.from({ length: 1000 }, (_, i) =>
      line({ status: '401', requestId: `r-${i}`, requestTimeEpoch: String(T0 + i * 10) }),
    );
    expect(await handle(subscription(flood))).toEqual({ recorded: 1000, unreadable: 0 });
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.payload['count'])).toEqual([1, 999]);
  });

  it('counts a line that is no access log line, and ignores CloudWatch’s control message', async () => {
    const { events, handle } = handler();
    expect(
      await handle(subscription(['127.0.0.1 - - [10/May/2026] "GET /events" 200', line({ status: 'x' })])),
    ).toEqual({
      recorded: 0,
      unreadable: 2,
    });
    expect(await handle(subscription(['CWL CONTROL MESSAGE'], 'CONTROL_MESSAGE'))).toEqual({
      recorded: 0,
      unreadable: 0,
    });
    expect(events).toEqual([]);
  });
});
