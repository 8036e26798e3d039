import { randomUUID } from 'node:crypto';
import type { Random } from '../bench/events.ts';
import { addMonths, monthBounds, monthOf } from '../shared/core/domain/month.ts';

/** Months back from now of the "old" month: past the 13 months of retention `trail maintain` runs with. */
export const OLD_MONTH_BACK = 24;
/** The retention `trail maintain` runs with at the end (the stack's own maintenance keeps every month). */
export const ARCHIVE_RETENTION_MONTHS = 13;

/** Share of the load dated in the old month, so the archive export has rows to write (and to lose). */
const OLD_SHARE = 0.3;

export interface LoadEvent {
  id: string;
  type: string;
  occurredAt: string;
  entity: { type: string; id: string };
  payload: Record<string, unknown>;
}

/** A timestamp in the old month or in the last ten minutes: client-chosen, so a resend is the same event. */
export function occurredAt(random: Random, now = new Date()): string {
  if (random() < OLD_SHARE) {
    const { start, end } = monthBounds(addMonths(monthOf(now), -OLD_MONTH_BACK));
    return new Date(start.getTime() + Math.floor(random() * (end.getTime() - start.getTime()))).toISOString();
  }
  return new Date(now.getTime() - Math.floor(random() * 600_000)).toISOString();
}

/** A few containers per HTTP client: several FIFO groups, each with many messages in order. */
export function httpEvent(random: Random, client: number, seq: number): LoadEvent {
  return {
    id: randomUUID(),
    type: 'container.weight.captured',
    occurredAt: occurredAt(random),
    entity: { type: 'container', id: `c-chaos-${client}-${Math.floor(random() * 4)}` },
    payload: { value: seq, unit: 'kg', client },
  };
}

/** An event of the old month, for the archive phase's top-up. */
export function oldMonthEvent(random: Random, seq: number, now = new Date()): LoadEvent {
  const { start, end } = monthBounds(addMonths(monthOf(now), -OLD_MONTH_BACK));
  return {
    id: randomUUID(),
    type: 'container.weight.captured',
    occurredAt: new Date(start.getTime() + Math.floor(random() * (end.getTime() - start.getTime()))).toISOString(),
    entity: { type: 'container', id: `c-chaos-archive-${seq % 8}` },
    payload: { value: seq, unit: 'kg', topUp: true },
  };
}

/** A device's own event: the entity is the device, as the topic and the client id say. */
export function deviceEvent(random: Random, device: string, seq: number): LoadEvent {
  return {
    id: randomUUID(),
    type: 'robot.online',
    occurredAt: occurredAt(random),
    entity: { type: 'robot', id: device },
    payload: { reason: 'chaos', seq },
  };
}
