import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_REQUEST_BYTES } from '../../core/ingest/http-body.ts';
import { type Interaction, UNMATCHED_ROUTE } from '../../core/interactions/interaction.ts';
import type { TokenGrant } from './tokens.ts';

/** A handler's answer; with `bodyStream` the body is written chunk by chunk (API Gateway itself cannot stream). */
export type ApiResult = APIGatewayProxyStructuredResultV2 & { bodyStream?: AsyncIterable<string> };
export type ApiHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<ApiResult>;

export interface LocalApiOptions {
  port: number;
  tokens: ReadonlyMap<string, TokenGrant>;
  /** Routes as API Gateway declares them: `POST /events`, `GET /views/{name}` → handler. */
  routes: Record<string, ApiHandler>;
  /** Static files served without auth at `GET /` (index.html) and `GET /web/*` (the web UI). */
  staticDir?: string;
  /**
   * Called once per API request when its response is over (sent, or cut): what API Gateway's access log records,
   * refusals included. Not called for the web UI's files and GET /health, which are not the API.
   */
  onInteraction?: (interaction: Interaction) => void;
  /**
   * `GET /metrics`: the Prometheus exposition, served without a token as /health is (the API listens on 127.0.0.1
   * only) and, like it, not an API request of the interaction log.
   */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export interface LocalApi {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Plays API Gateway (HTTP API, payload v2) with its JWT authorizer: checks the bearer token, then hands the
 * handler the event shape Lambda receives, claims included.
 */
export async function startLocalApi({
  port,
  tokens,
  routes,
  staticDir,
  onInteraction,
  metrics,
}: LocalApiOptions): Promise<LocalApi> {
  let stopping = false;
  /** Responses not yet finished: once stopping, each closes its connection when it is done. */
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const trace = traceRequest(req, res, onInteraction);
    // A keep-alive connection can still carry requests after the listener closed: they are refused, not accepted.
    if (stopping) {
      res.shouldKeepAlive = false;
      return send(res, {
        statusCode: 503,
        headers: { 'retry-after': String(STOPPING_RETRY_AFTER_SECONDS), connection: 'close' },
        body: JSON.stringify({
          error: 'the server is stopping: nothing was accepted; retry against the restarted server',
        }),
      });
    }
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    const served =
      staticDir && req.method === 'GET' && isStaticPath(req.url)
        ? serveStatic(req, res, staticDir)
        : serve(req, res, { tokens, routes, metrics }, trace);
    served.catch((error) => {
      console.error('local API error', error);
      if (!res.headersSent) send(res, { statusCode: 500, body: JSON.stringify({ error: 'internal error' }) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`PORT ${port} is already in use: set PORT to a free port`) : error,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    /** Stops accepting: closes the listener and idle connections, refuses what else arrives, waits for in-flight. */
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
        server.close(() => resolve());
        server.closeIdleConnections();
        // A request still running after this (a stalled export) is cut rather than holding the stop forever.
        setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS).unref();
      }),
  };
}

const STOPPING_RETRY_AFTER_SECONDS = 5;
const IN_FLIGHT_GRACE_MS = 10_000;

/** What the interaction record of a request needs to know, filled in as the request is served. */
interface RequestTrace {
  requestId: string;
  route: string;
  principal?: { user: string; roles: readonly string[] };
  /** Set for what is not the API (static files, /health): no record. */
  notApi?: boolean;
}

/** Records the request once its response is over: 'close' comes after the last byte, or when the client cut it. */
function traceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  onInteraction: LocalApiOptions['onInteraction'],
): RequestTrace {
  const at = new Date();
  const trace: RequestTrace = { requestId: `local-${randomUUID()}`, route: UNMATCHED_ROUTE };
  if (!onInteraction) return trace;
  if (req.method === 'GET' && isStaticPath(req.url)) trace.notApi = true;
  res.once('close', () => {
    if (trace.notApi) return;
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    onInteraction({
      method: req.method ?? 'GET',
      route: trace.route,
      ...(trace.route === UNMATCHED_ROUTE && { path }),
      status: res.statusCode,
      ...(trace.principal && { principal: trace.principal }),
      sourceIp: req.socket.remoteAddress ?? '',
      userAgent: req.headers['user-agent'] ?? '',
      requestId: trace.requestId,
      durationMs: Date.now() - at.getTime(),
      at,
    });
  });
  return trace;
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  { tokens, routes, metrics }: Pick<LocalApiOptions, 'tokens' | 'routes' | 'metrics'>,
  trace: RequestTrace,
) {
  const url = new URL(req.url ?? '/', 'http://local');
  const requested = `${req.method} ${url.pathname}`;
  if (requested === 'GET /health') {
    trace.notApi = true;
    return send(res, { statusCode: 200, body: '{"ok":true}' });
  }
  if (requested === 'GET /metrics' && metrics) {
    trace.notApi = true;
    const { contentType, body } = await metrics();
    return send(res, { statusCode: 200, headers: { 'content-type': contentType }, body });
  }
  const route = matchRoute(routes, req.method ?? 'GET', url.pathname);
  if (!route) return send(res, { statusCode: 404, body: JSON.stringify({ error: `no route ${requested}` }) });
  const { routeKey, handler, pathParameters } = route;
  trace.route = routeKey;

  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const grant = bearer ? tokens.get(bearer) : undefined;
  if (grant) trace.principal = { user: grant.user, roles: [grant.role] };
  if (!grant)
    return send(res, {
      statusCode: 401,
      body: JSON.stringify({ error: 'missing or invalid credentials: send Authorization: Bearer <token>' }),
    });

  const body = await readBody(req, MAX_REQUEST_BYTES + 1);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
  const query = Object.fromEntries(url.searchParams);
  const now = Date.now();
  const event = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.searchParams.toString(),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(pathParameters && { pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: trace.requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      authorizer: {
        principalId: grant.user,
        integrationLatency: 0,
        jwt: { claims: { username: grant.user, 'cognito:groups': `[${grant.role}]` }, scopes: [] },
      },
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const result = await handler(event);
  if (result.bodyStream) await sendStream(res, result, result.bodyStream);
  else send(res, result);
}

/** Finds the route as API Gateway does: an exact path first, else a pattern whose `{name}` segments become pathParameters. */
function matchRoute(routes: Record<string, ApiHandler>, method: string, path: string) {
  const exact = routes[`${method} ${path}`];
  if (exact) return { routeKey: `${method} ${path}`, handler: exact, pathParameters: undefined };
  const segments = path.split('/');
  for (const [routeKey, handler] of Object.entries(routes)) {
    const [routeMethod, pattern = ''] = routeKey.split(' ');
    const parts = pattern.split('/');
    if (routeMethod !== method || !pattern.includes('{') || parts.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = parts.every((part, i) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (!name) return part === segments[i];
      const value = safeDecode(segments[i]!);
      if (!value) return false;
      pathParameters[name] = value;
      return true;
    });
    if (matches) return { routeKey, handler, pathParameters };
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment) || undefined;
  } catch {
    return undefined;
  }
}

/** Writes a streamed body with backpressure: memory stays bounded by one chunk, whatever the body's size. */
async function sendStream(res: ServerResponse, result: ApiResult, body: AsyncIterable<string>): Promise<void> {
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  try {
    for await (const chunk of body) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await writable(res);
    }
    res.end();
  } catch (error) {
    // The status line is gone: cutting the connection is the only way left to tell the client the body is incomplete.
    console.error('local API stream error', error);
    res.destroy(error as Error);
  }
}

function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function isStaticPath(url: string | undefined): boolean {
  const path = new URL(url ?? '/', 'http://local').pathname;
  return path === '/' || path.startsWith('/web/');
}

/** The web UI's files; they hold no data (the UI calls the API with the user's token), so they need no auth. */
async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  const relative = path === '/' ? 'index.html' : safeDecode(path.slice('/web/'.length));
  const base = resolve(root);
  const file = relative ? resolve(base, relative) : undefined;
  const info = file?.startsWith(base + sep) ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile())
    return send(res, { statusCode: 404, body: JSON.stringify({ error: `no file ${path}` }) });
  res.writeHead(200, {
    'content-type': STATIC_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(info.size),
    'cache-control': 'no-cache',
  });
  await pipeline(createReadStream(file), res);
}

/** Reads at most `limit` bytes; the handler sees an oversized body and answers 413 itself. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    if (size < limit) chunks.push(buffer.subarray(0, limit - size));
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  res.writeHead(result.statusCode ?? 200, {
    'content-type': 'application/json',
    ...(result.headers as Record<string, string>),
  });
  res.end(result.body ?? '');
}
