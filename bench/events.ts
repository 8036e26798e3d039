import type { EntityRef } from '../shared/core/domain/entity.ts';
import type { Actor, Source, StoredEvent } from '../shared/core/domain/event.ts';
import { uuidv7 } from '../shared/core/domain/ids.ts';
import type { Severity } from '../shared/core/domain/severity.ts';

/** Seeded PRNG (mulberry32): the same seed gives the same fleet and the same event mix on every machine. */
export type Random = () => number;

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Share of the fleet per entity kind: mostly sensors and containers, a few users. */
const FLEET_MIX: readonly [kind: string, prefix: string, share: number][] = [
  ['sensor', 's', 0.45],
  ['container', 'c', 0.25],
  ['robot', 'r', 0.15],
  ['controller', 'plc', 0.1],
  ['user', 'op', 0.05],
];

/** `count` entities in FLEET_MIX proportions: sensor:s-00001 … user:op-00250. */
export function createFleet(count: number): EntityRef[] {
  return FLEET_MIX.flatMap(([type, prefix, share]) =>
    Array.from({ length: Math.max(1, Math.round(count * share)) }, (_, i) => ({
      type,
      id: `${prefix}-${String(i + 1).padStart(5, '0')}`,
    })),
  );
}

type Body = Pick<StoredEvent, 'type' | 'severity' | 'related' | 'payload'>;
type Make = (random: Random, entity: EntityRef) => Body;

const event =
  (type: string, severity: Severity, payload: (random: Random) => Record<string, unknown> = () => ({})): Make =>
  (random) => ({ type, severity, related: [], payload: payload(random) });

const bay = (random: Random): EntityRef => ({ type: 'bay', id: `b-${1 + Math.floor(random() * 400)}` });
const reading = (random: Random, breached: boolean) => ({
  metric: 'temperature',
  value: Math.round((breached ? 9 + random() * 4 : 2 + random() * 5) * 10) / 10,
  threshold: 8,
  unit: 'C',
});

/**
 * What each kind of entity logs, with weights: routine INFO events dominate, WARNING and ERROR are occasional,
 * and CRITICAL is rare (escalated breaches and offline robots), as on a real floor.
 */
const EVENT_MIX: Record<string, readonly [Make, number][]> = {
  sensor: [
    [event('sensor.threshold.recovered', 'INFO', (r) => reading(r, false)), 55],
    [event('sensor.threshold.breached', 'WARNING', (r) => reading(r, true)), 8],
    [event('sensor.threshold.breached', 'CRITICAL', (r) => reading(r, true)), 0.15],
    [event('sensor.battery.low', 'WARNING', (r) => ({ level: Math.floor(r() * 15) })), 2],
    [event('sensor.offline', 'WARNING', () => ({ reason: 'no heartbeat' })), 1.5],
    [event('sensor.payload.decode_failed', 'ERROR', () => ({ error: 'crc mismatch', rawSize: 42 })), 1],
  ],
  container: [
    [event('container.temperature.captured', 'INFO', (r) => ({ value: Math.round(r() * 80) / 10, unit: 'C' })), 40],
    [event('container.weight.captured', 'INFO', (r) => ({ value: Math.round(r() * 5000) / 10, unit: 'kg' })), 20],
    [(r) => ({ type: 'container.moved', severity: 'INFO', related: [bay(r)], payload: { toBay: bay(r).id } }), 10],
    [(r) => ({ type: 'container.bay.assigned', severity: 'INFO', related: [bay(r)], payload: { bay: bay(r).id } }), 5],
    [event('container.batch.changed', 'INFO', (r) => ({ batch: `B${Math.floor(r() * 9999)}` })), 1],
  ],
  robot: [
    [event('robot.online', 'INFO', () => ({ reason: 'boot' })), 20],
    [event('robot.offline', 'WARNING', () => ({ reason: 'power' })), 6],
    [event('robot.offline', 'CRITICAL', () => ({ reason: 'e-stop' })), 0.1],
    [event('robot.config.pushed', 'INFO', (r) => ({ version: `1.${Math.floor(r() * 40)}` })), 8],
    [event('robot.firmware.applied', 'INFO', () => ({ version: '4.2.0', fromVersion: '4.1.3' })), 2],
    [event('robot.session.started', 'INFO', (r) => ({ sessionId: `sess-${Math.floor(r() * 1e6)}` })), 6],
    [event('robot.session.ended', 'INFO', (r) => ({ sessionId: `sess-${Math.floor(r() * 1e6)}` })), 6],
  ],
  controller: [
    [event('controller.state.changed', 'INFO', () => ({ from: 'idle', to: 'running' })), 40],
    [
      event('controller.register.overridden', 'WARNING', (r) => ({ register: 'HR40001', to: Math.floor(r() * 100) })),
      2,
    ],
    [event('controller.protocol.error', 'ERROR', () => ({ protocol: 'modbus', error: 'timeout' })), 1.5],
  ],
  user: [
    [event('user.login', 'INFO', () => ({ method: 'sso' })), 30],
    [event('user.logout', 'INFO', () => ({ method: 'sso' })), 28],
    [event('user.permission.granted', 'WARNING', () => ({ permission: 'robots:write' })), 1],
    [event('user.override', 'WARNING', () => ({ target: 'plc-00001', setting: 'speed', from: 50, to: 80 })), 2],
  ],
};

const CUMULATIVE = Object.fromEntries(
  Object.entries(EVENT_MIX).map(([kind, mix]) => {
    const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
    let running = 0;
    return [
      kind,
      mix.map(([make, weight]) => {
        running += weight / total;
        return [make, running] as const;
      }),
    ];
  }),
);

/** A type, severity, related entities and payload fitting the entity's kind (valid against the catalog). */
export function eventBody(random: Random, entity: EntityRef): Body {
  const mix = CUMULATIVE[entity.type] ?? CUMULATIVE['sensor']!;
  const draw = random();
  const make = (mix.find(([, upTo]) => draw < upTo) ?? mix.at(-1)!)[0];
  return make(random, entity);
}

/** Who logs for an entity: devices for themselves, operators (over HTTP) for containers and their own sessions. */
function identity(entity: EntityRef): { actor: Actor; source: Source } {
  if (entity.type === 'user' || entity.type === 'container') {
    const user = entity.type === 'user' ? entity.id : 'wms';
    return { actor: { type: 'user', id: user }, source: { channel: 'http', principal: user, ip: '10.0.0.7' } };
  }
  return { actor: { type: 'device', id: entity.id }, source: { channel: 'iot', principal: entity.id } };
}

/** An event as the writer stores it, at `occurredAtMs`, received a moment later. */
export function storedEvent(random: Random, entity: EntityRef, occurredAtMs: number): StoredEvent {
  return {
    id: uuidv7(occurredAtMs),
    ...eventBody(random, entity),
    occurredAt: new Date(occurredAtMs).toISOString(),
    receivedAt: new Date(occurredAtMs + 50 + Math.floor(random() * 900)).toISOString(),
    entity,
    ...identity(entity),
  };
}
