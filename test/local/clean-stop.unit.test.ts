import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startLocalApi } from '../../shared/apps/local/http-server.ts';

const TOKEN = 'stop-token';

function request(id: number): string {
  const body = JSON.stringify({ n: id });
  return [
    'POST /events HTTP/1.1',
    'Host: local',
    `Authorization: Bearer ${TOKEN}`,
    'Content-Type: application/json',
    'Connection: keep-alive',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/**
 * A local API whose POST /events waits for `release()` (before answering, or with `streaming` after its status line
 * and first chunk are sent), and a raw connection to it.
 */
async function gatedApi(streaming = false) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started!: () => void;
  const firstStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const accepted: string[] = [];
  const api = await startLocalApi({
    port: 0,
    tokens: new Map([[TOKEN, { user: 'ops', role: 'admin' }]]),
    routes: {
      'POST /events': async (event) => {
        started();
        const body = Buffer.from(event.body ?? '', 'base64').toString();
        if (!streaming) {
          await gate;
          accepted.push(body);
          return { statusCode: 202, body: '{}' };
        }
        return {
          statusCode: 202,
          bodyStream: (async function* () {
            yield '{';
            await gate;
            accepted.push(body);
            yield '}';
          })(),
        };
      },
    },
  });
  const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
  const connection = { received: '' };
  socket.on('data', (chunk) => {
    connection.received += chunk.toString();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const statuses = () => [...connection.received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  return { api, socket, connection, closed, statuses, firstStarted, release, accepted };
}

describe('stopping the local API', () => {
  it('closes a keep-alive connection after the response in flight when stop began', async () => {
    const { api, socket, connection, closed, statuses, firstStarted, release, accepted } = await gatedApi();
    socket.write(request(1));
    await firstStarted;
    // Stop begins while request 1 is in flight; then a second request comes on the same keep-alive connection.
    const stopped = api.stop();
    release();
    await expect.poll(() => connection.received).toMatch(/HTTP\/1\.1 202[\s\S]*\r\n0\r\n\r\n$/);
    if (!socket.destroyed) socket.write(request(2));
    await closed;
    await stopped;

    // The connection is closed after request 1 (a request racing that close is refused): never a second 202.
    expect(statuses()).toEqual(['202']);
    expect(connection.received).toMatch(/connection: close/i);
    expect(accepted).toEqual(['{"n":1}']);
  });

  it('answers 503 with Retry-After to a request that arrives on a connection still open after stop began', async () => {
    // The response in flight had sent its status line (keep-alive) before stop: its connection stays open after it.
    const { api, socket, connection, closed, statuses, firstStarted, release, accepted } = await gatedApi(true);
    socket.write(request(1));
    await firstStarted;
    await expect.poll(() => connection.received).toMatch(/HTTP\/1\.1 202/);
    const stopped = api.stop();
    release();
    await expect.poll(() => connection.received).toMatch(/\r\n0\r\n\r\n$/);
    socket.write(request(2));
    await closed;
    await stopped;

    expect(statuses()).toEqual(['202', '503']);
    expect(connection.received).toMatch(/retry-after: 5/i);
    expect(accepted).toEqual(['{"n":1}']);
  });
});
