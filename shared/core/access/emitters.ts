import type { Channel } from '../domain/channel.ts';
import { ROLES, type Role } from './principal.ts';

/**
 * Who may emit an event type: `internal` (the trail's own records, e.g. the query API's `audit.accessed`: recognised
 * by how the component is wired, never by anything a client sends), `iot:device` (a device over MQTT, its thing
 * bound to the connection) or `http:<role>` (a token with that role posting to POST /events).
 */
export type Emitter = 'internal' | 'iot:device' | `http:${Exclude<Role, 'device'>}`;

/** What machines report: devices themselves, or operators and admins (a gateway, the fleet manager) over HTTP. */
export const FLEET_EMITTERS: readonly Emitter[] = ['iot:device', 'http:operator', 'http:admin'];
/** What a person at the console does to machines, under their own name. */
export const CONSOLE_EMITTERS: readonly Emitter[] = ['http:operator', 'http:admin'];
/** Facts about people's identity and rights: only the identity source (the IdP bridge) knows them. */
export const IDENTITY_EMITTERS: readonly Emitter[] = ['http:identity'];
/** The trail's own records. */
export const INTERNAL_EMITTERS: readonly Emitter[] = ['internal'];

/** Who is emitting: the channel the handler is wired to and the credential's roles. */
export interface EmittingPrincipal {
  channel: Channel;
  roles: readonly Role[];
}

export function mayEmit(emitters: readonly Emitter[], who: EmittingPrincipal): boolean {
  if (who.channel === 'internal') return emitters.includes('internal');
  return who.roles.some((role) => (emitters as readonly string[]).includes(`${who.channel}:${role}`));
}

/** Why `who` may not emit `type`, naming who may. */
export function emitRefusal(type: string, emitters: readonly Emitter[], who: EmittingPrincipal): string {
  const roles = who.roles.length > 0 ? `role ${who.roles.join(',')}` : 'no role';
  const by = who.channel === 'internal' ? 'the trail itself' : `${roles} over ${who.channel}`;
  return `${type} may not be emitted by ${by}; it may be emitted by: ${emitters.map(describeEmitter).join(', ')}`;
}

function describeEmitter(emitter: Emitter): string {
  if (emitter === 'internal') return 'the trail itself (internal)';
  if (emitter === 'iot:device') return 'devices over MQTT (iot:device)';
  return `${emitter.slice('http:'.length)} over HTTP (${emitter})`;
}

/**
 * Reads a deployment's emitter list, `iot:device+http:operator`. `internal` is refused: only the trail's own
 * components write internally, and none of them writes a registered type.
 */
export function parseEmitters(spec: string, where: string): Emitter[] {
  const items = spec
    .split('+')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new Error(`${where}: the emitter list after "@" is empty; e.g. @iot:device+http:operator`);
  return items.map((item) => {
    if (item === 'internal')
      throw new Error(`${where}: "internal" is reserved for the trail's own records; use iot:device or http:<role>`);
    if (item === 'iot:device') return item;
    const role = item.startsWith('http:') ? item.slice('http:'.length) : undefined;
    if (role !== undefined && role !== 'device' && (ROLES as readonly string[]).includes(role)) return item as Emitter;
    const httpRoles = ROLES.filter((r) => r !== 'device').map((r) => `http:${r}`);
    throw new Error(`${where}: emitter "${item}" must be iot:device or one of ${httpRoles.join(', ')}`);
  });
}

/** The roles that may emit at least one of these types over HTTP: the others are refused before the body is read. */
export function httpEmitterRoles(emitterLists: Iterable<readonly Emitter[]>): Role[] {
  const roles = new Set<string>();
  for (const emitters of emitterLists)
    for (const emitter of emitters) if (emitter.startsWith('http:')) roles.add(emitter.slice('http:'.length));
  return ROLES.filter((role) => roles.has(role));
}
