import { z } from 'zod';
import { principalFromClaims } from '../access/principal.ts';
import type { API_ACCESS_LOG_FORMAT } from '../contracts/api-access-log.ts';
import { type Interaction, UNMATCHED_ROUTE } from './interaction.ts';

const field = z.string().max(16_384).optional();
const line = z.looseObject(
  Object.fromEntries(
    (
      [
        'requestId',
        'method',
        'routeKey',
        'path',
        'status',
        'sourceIp',
        'userAgent',
        'requestTimeEpoch',
        'responseLatency',
        'username',
        'cognitoUsername',
        'groups',
      ] satisfies (keyof typeof API_ACCESS_LOG_FORMAT)[]
    ).map((key) => [key, field]),
  ) as Record<keyof typeof API_ACCESS_LOG_FORMAT, typeof field>,
);

/** `-` is API Gateway's "no value". */
const value = (text: string | undefined) => (text === undefined || text === '-' || text === '' ? undefined : text);

/** One access log line (API_ACCESS_LOG_FORMAT) as an Interaction; why not, when it is not one. */
export function interactionFromAccessLog(
  message: string,
): { ok: true; interaction: Interaction } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, reason: 'not JSON (is the stage access log format API_ACCESS_LOG_FORMAT?)' };
  }
  const parsed = line.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `not an access log line: ${parsed.error.issues[0]?.message}` };
  const log = parsed.data;
  const status = Number(value(log.status));
  const at = Number(value(log.requestTimeEpoch));
  const requestId = value(log.requestId);
  if (!Number.isInteger(status) || status < 100 || status > 599)
    return { ok: false, reason: `status "${log.status}" is not an HTTP status` };
  if (!Number.isFinite(at)) return { ok: false, reason: `requestTimeEpoch "${log.requestTimeEpoch}" is not a time` };
  if (!requestId) return { ok: false, reason: 'no requestId' };
  const routeKey = value(log.routeKey);
  const route = routeKey && routeKey !== '$default' ? routeKey : UNMATCHED_ROUTE;
  // The same reading of the claims as the handlers' (HTTP APIs flatten the groups array to "[admin auditor]").
  const principal = principalFromClaims({
    ...(value(log.cognitoUsername) && { 'cognito:username': value(log.cognitoUsername) }),
    ...(value(log.username) && { username: value(log.username) }),
    ...(value(log.groups) && { 'cognito:groups': value(log.groups) }),
  });
  return {
    ok: true,
    interaction: {
      method: value(log.method) ?? '-',
      route,
      ...(route === UNMATCHED_ROUTE && { path: value(log.path) ?? '' }),
      status,
      ...(principal && { principal: { user: principal.user, roles: principal.roles } }),
      sourceIp: value(log.sourceIp) ?? '',
      userAgent: value(log.userAgent) ?? '',
      requestId,
      durationMs: Number(value(log.responseLatency)) || 0,
      at: new Date(at),
    },
  };
}
