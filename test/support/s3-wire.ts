/** One request an S3 client sent, as signed: the access key in its Authorization header and its session token. */
export interface SignedRequest {
  host: string;
  /** Decoded: `/ext/fleet-audit-api/region=eu-west-1/…`. */
  path: string;
  method: string;
  accessKeyId: string | undefined;
  sessionToken: string | undefined;
  encryption: string | undefined;
}

/**
 * An HTTP handler in place of S3 (an S3Client's `requestHandler`): the client runs its real middleware (credentials,
 * SigV4 signing) and this records what reached the wire, answering 200, so a test sees which credentials signed
 * each request. aws-sdk-client-mock stubs `send` before the middleware, so it cannot show that.
 */
export function s3Wire() {
  const signed: SignedRequest[] = [];
  const handler = {
    async handle(request: {
      hostname: string;
      path: string;
      method: string;
      headers: Record<string, string>;
      body?: { resume?: () => void };
    }) {
      signed.push({
        host: request.hostname,
        path: decodeURIComponent(request.path),
        method: request.method,
        accessKeyId: /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1],
        sessionToken: request.headers['x-amz-security-token'],
        encryption: request.headers['x-amz-server-side-encryption'],
      });
      request.body?.resume?.();
      return { response: { statusCode: 200, headers: { etag: '"e"' }, body: new Uint8Array() } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  return { handler, signed };
}
