import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** What the receiver answered. */
  status: number;
}

/**
 * A sink that fails on purpose: `answer` decides each request's status from its body (503 for a while, 400 for one
 * event…); every request is recorded with its answer. `close()` and `listen()` again on the same port play an
 * outage with refused connections.
 */
export async function startSinkReceiver(answer: (request: Omit<ReceivedRequest, 'status'>) => number = () => 200) {
  const requests: ReceivedRequest[] = [];
  let decide = answer;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      const status = decide(request);
      requests.push({ ...request, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{}' : '{"error":"on purpose"}');
    });
  });
  const listen = (port = 0) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Answers from now on with `next`. */
    answerWith(next: typeof answer) {
      decide = next;
    },
    /** Stops listening: connections are refused until `reopen()`. */
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    reopen: () => listen(port),
  };
}
export type SinkReceiver = Awaited<ReturnType<typeof startSinkReceiver>>;
