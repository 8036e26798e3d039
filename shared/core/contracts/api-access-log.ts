/**
 * The API Gateway access log line (JSON, one per request, authorizer 401s, unmatched routes and throttled 429s
 * included): infra sets it as the stage's format, the interaction-log function reads it back
 * (core/interactions/access-log.ts). API Gateway writes `-` for a variable without a value.
 */
export const API_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTimeEpoch: '$context.requestTimeEpoch',
  responseLatency: '$context.responseLatency',
  username: '$context.authorizer.claims.username',
  cognitoUsername: '$context.authorizer.claims.cognito:username',
  groups: '$context.authorizer.claims.cognito:groups',
  authorizerError: '$context.authorizer.error',
} as const;
