import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ensureMonthPartitions } from '../../shared/adapters/postgres/partitions.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { type Month, monthBounds, monthOf } from '../../shared/core/domain/month.ts';
import type { Severity } from '../../shared/core/domain/severity.ts';
import { sealAll } from '../support/seal-all.ts';

const KINDS: { type: string; severity: Severity; entity: string; payload: Record<string, unknown> }[] = [
  { type: 'robot.online', severity: 'INFO', entity: 'robot', payload: { reason: 'boot' } },
  { type: 'robot.offline', severity: 'WARNING', entity: 'robot', payload: { reason: "e-stop 'red'" } },
  {
    type: 'sensor.threshold.breached',
    severity: 'CRITICAL',
    entity: 'sensor',
    payload: { metric: 'temp', value: 9.5, threshold: 8 },
  },
  {
    type: 'sensor.payload.decode_failed',
    severity: 'ERROR',
    entity: 'sensor',
    payload: { error: 'bad "frame"\nline 2' },
  },
  {
    type: 'controller.register.overridden',
    severity: 'WARNING',
    entity: 'controller',
    payload: { register: 'HR12', to: 3 },
  },
  { type: 'user.override', severity: 'WARNING', entity: 'user', payload: { target: 'r-1', setting: 'speed', to: 0.5 } },
  { type: 'container.moved', severity: 'INFO', entity: 'container', payload: { toBay: 'b-7', note: 'üñí, 💡' } },
];
const ACTORS = ['user:alice', 'user:bob', 'device:r-17', 'service:planner'];

/** A deterministic UUID (v4 layout) from a seed: the same fixture yields the same events in every database. */
function seededUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `count` events spread over the month, the same ones for the same (month, count, label). */
export function monthEvents(month: Month, count: number, label = 'e'): StoredEvent[] {
  const { start, end } = monthBounds(month);
  const span = end.getTime() - start.getTime();
  return Array.from({ length: count }, (_, i) => {
    const kind = KINDS[i % KINDS.length]!;
    const occurred = new Date(start.getTime() + Math.floor(((i + 0.5) * span) / count));
    const actor = ACTORS[i % ACTORS.length]!;
    const [actorType, actorId] = actor.split(':') as ['user' | 'device' | 'service', string];
    return {
      id: seededUuid(`${label}-${month.year}-${month.month}-${i}`),
      type: kind.type,
      severity: kind.severity,
      occurredAt: occurred.toISOString(),
      receivedAt: new Date(occurred.getTime() + 1500).toISOString(),
      entity: { type: kind.entity, id: `${kind.entity[0]}-${i % 5}` },
      related: i % 3 === 0 ? [{ type: 'bay', id: `b-${i % 4}` }] : [],
      actor: { type: actorType, id: actorId },
      source:
        i % 2
          ? { channel: 'iot', principal: actorId, clientId: `c-${i % 7}` }
          : { channel: 'http', principal: actorId, ip: '10.0.0.1' },
      payload: { ...kind.payload, seq: i },
      ...(i % 4 === 0 && { traceId: seededUuid(`t${i}`).replaceAll('-', ''), spanId: '00f067aa0ba902b7' }),
    } satisfies StoredEvent;
  });
}

/**
 * Inserts through the writer's own store, in batches, after making the events' months as maintenance does: these
 * tests run maintenance at instants years ahead, whose months the writer may not create (migration 006). Then seals
 * them (unless `sealed: false`), as the sealer would before maintenance runs: a month is archived only once sealed.
 */
export async function insertEvents(
  pool: pg.Pool,
  events: readonly StoredEvent[],
  { sealed = true }: { sealed?: boolean } = {},
): Promise<void> {
  await ensureMonthPartitions(
    pool,
    events.map((event) => monthOf(new Date(event.occurredAt))),
  );
  const store = new PgEventStore(pool);
  for (let i = 0; i < events.length; i += 1000) await store.insert(events.slice(i, i + 1000));
  if (sealed) await sealAll(pool);
}

export async function partitionNames(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}
