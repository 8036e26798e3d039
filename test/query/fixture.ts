import type pg from 'pg';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { storedEvent } from '../support/events.ts';

/** The clock of the query API tests: the default window is the week before it. */
export const NOW = new Date('2026-05-10T12:00:00.000Z');
const may9 = (hour: string) => `2026-05-09T${hour}:00:00.000Z`;

const robot = { type: 'robot', id: 'r-1' };
const device = { type: 'device', id: 'r-1' } as const;
const iot = { channel: 'iot', principal: 'r-1' } as const;

export const fixture = {
  online: storedEvent({ type: 'robot.online', entity: robot, occurredAt: may9('10'), actor: device, source: iot }),
  offline: storedEvent({
    type: 'robot.offline',
    severity: 'WARNING',
    entity: robot,
    occurredAt: may9('11'),
    actor: device,
    source: iot,
    payload: { reason: 'e-stop' },
  }),
  moved: storedEvent({
    type: 'container.moved',
    entity: { type: 'container', id: 'c-9' },
    related: [robot, { type: 'bay', id: 'b-1' }],
    occurredAt: may9('12'),
    actor: { type: 'user', id: 'alice' },
    source: { channel: 'http', principal: 'alice', ip: '10.1.1.1' },
    payload: { toBay: 'b-1' },
  }),
  decodeFailed: storedEvent({
    type: 'sensor.payload.decode_failed',
    severity: 'ERROR',
    entity: { type: 'sensor', id: 's-3' },
    occurredAt: may9('13'),
    actor: { type: 'device', id: 's-3' },
    source: { channel: 'iot', principal: '=SUM(A1)' },
    payload: { error: '100% bad_frame' },
  }),
  protocolError: storedEvent({
    type: 'controller.protocol.error',
    severity: 'CRITICAL',
    entity: { type: 'controller', id: 'k-1' },
    related: [{ type: 'bay', id: 'b-1' }],
    occurredAt: may9('14'),
    actor: { type: 'service', id: 'plc-gw' },
    source: { channel: 'internal', principal: 'plc-gw' },
    payload: { protocol: 'modbus', error: '<script>alert(1)</script>' },
    traceId: '0af7651916cd43dd8448eb211c80319c',
  }),
  login: storedEvent({
    type: 'user.login',
    entity: { type: 'user', id: 'bob' },
    occurredAt: may9('15'),
    actor: { type: 'user', id: 'bob' },
    source: { channel: 'http', principal: 'bob' },
  }),
  accessed: storedEvent({
    type: 'audit.accessed',
    entity: { type: 'user', id: 'zed' },
    occurredAt: may9('16'),
    actor: { type: 'user', id: 'zed' },
    source: { channel: 'http', principal: 'zed' },
    payload: { route: 'GET /events', filters: {}, rows: 3 },
  }),
  lastMonth: storedEvent({ type: 'robot.online', entity: robot, occurredAt: '2026-04-01T10:00:00.000Z' }),
} satisfies Record<string, StoredEvent>;

export const ids = (events: readonly StoredEvent[]) => events.map((e) => e.id);

/**
 * `rows` WARNING events of about 2 KiB each, one a second from 2026-05-08 over 50 sensors, inserted by PostgreSQL
 * itself (its May partition made first): the bulk that export tests stream.
 */
export async function insertLargeSensorEvents(pool: pg.Pool, rows: number): Promise<void> {
  await pool.query(`SELECT audit_ensure_month_partition('2026-05-01')`);
  await pool.query(
    `INSERT INTO events (id, type, severity, severity_number, occurred_at, received_at, entity_type, entity_id, related,
                         actor, source_channel, source_principal, payload)
     SELECT gen_random_uuid(), 'sensor.battery.low', 'WARNING', 13, t, t, 'sensor', 's-' || (n % 50), '[]',
            'device:s-' || (n % 50), 'iot', 's-' || (n % 50), jsonb_build_object('level', n % 100, 'note', repeat('x', 2000))
     FROM generate_series(1, $1::int) AS n, LATERAL (SELECT timestamptz '2026-05-08 00:00:00+00' + n * interval '1 second') AS s(t)`,
    [rows],
  );
}
