import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

/** A POST /events request from an operator, the body given as raw bytes (base64 on the wire, as API Gateway does). */
export function operatorPost(
  body: string | Buffer,
  contentType = 'application/json',
): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    headers: { 'content-type': contentType },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      authorizer: { jwt: { claims: { 'cognito:username': 'alice', 'cognito:groups': ['operator'] }, scopes: [] } },
      http: { method: 'POST', path: '/events', sourceIp: '203.0.113.7' },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}
