import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_REQUEST_BYTES } from '../ingest/http-body.ts';
import type { TokenGrant } from './tokens.ts';

export type ApiHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalApiOptions {
  port: number;
  tokens: ReadonlyMap<string, TokenGrant>;
  /** Routes as API Gateway declares them: `POST /events` → handler. */
  routes: Record<string, ApiHandler>;
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
export async function startLocalApi({ port, tokens, routes }: LocalApiOptions): Promise<LocalApi> {
  const server = createServer((req, res) => {
    serve(req, res, tokens, routes).catch((error) => {
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
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: ReadonlyMap<string, TokenGrant>,
  routes: Record<string, ApiHandler>,
) {
  const url = new URL(req.url ?? '/', 'http://local');
  const routeKey = `${req.method} ${url.pathname}`;
  if (routeKey === 'GET /health') return send(res, { statusCode: 200, body: '{"ok":true}' });
  const handler = routes[routeKey];
  if (!handler) return send(res, { statusCode: 404, body: JSON.stringify({ error: `no route ${routeKey}` }) });

  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const grant = bearer ? tokens.get(bearer) : undefined;
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
      requestId: `local-${now}`,
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
  send(res, await handler(event));
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
