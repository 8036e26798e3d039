import { describe, expect, it } from 'vitest';
import { ROLES } from '../../shared/core/access/principal.ts';
import { BUILT_IN_EVENT_TYPES, createCatalog, parseExtraEventTypes } from '../../shared/core/domain/catalog.ts';
import { CHANNELS, type Channel } from '../../shared/core/domain/channel.ts';
import type { IngestContext } from '../../shared/core/domain/event.ts';
import { acceptEvents } from '../../shared/core/ingest/accept.ts';
import type { EventQueue } from '../../shared/core/ports/events.ts';
import { SAMPLES } from '../support/catalog-samples.ts';

/** Who may emit each built-in type, written out: the cells of the matrix below are derived from this table only. */
const FLEET = ['iot:device', 'http:operator', 'http:admin'];
const EXPECTED: Record<string, readonly string[]> = {
  'robot.online': FLEET,
  'robot.offline': FLEET,
  'robot.config.pushed': FLEET,
  'robot.firmware.queued': FLEET,
  'robot.firmware.applied': FLEET,
  'robot.session.started': FLEET,
  'robot.session.ended': FLEET,
  'sensor.threshold.breached': FLEET,
  'sensor.threshold.recovered': FLEET,
  'sensor.offline': FLEET,
  'sensor.battery.low': FLEET,
  'sensor.payload.decode_failed': FLEET,
  'container.bay.assigned': FLEET,
  'container.moved': FLEET,
  'container.weight.captured': FLEET,
  'container.temperature.captured': FLEET,
  'container.batch.changed': FLEET,
  'controller.state.changed': FLEET,
  'controller.register.overridden': FLEET,
  'controller.protocol.error': FLEET,
  'user.login': ['http:identity'],
  'user.logout': ['http:identity'],
  'user.role.changed': ['http:identity'],
  'user.permission.granted': ['http:identity'],
  'user.permission.revoked': ['http:identity'],
  'user.override': ['http:operator', 'http:admin'],
  'audit.accessed': ['internal'],
  'audit.access.completed': ['internal'],
  'audit.api.request': ['internal'],
};

const catalog = createCatalog();
const queue: EventQueue = { send: async () => {} };
const RECEIVED_AT = new Date('2026-05-10T12:00:00Z');

/** The context each handler stamps: the channel it is wired to and the credential's single role. */
function context(channel: Channel, role: (typeof ROLES)[number]): IngestContext {
  return {
    catalog,
    receivedAt: RECEIVED_AT,
    actor: { type: channel === 'iot' ? 'device' : 'user', id: 'p-1' },
    source: { channel, principal: 'p-1' },
    roles: [role],
  };
}

function allowed(type: string, channel: Channel, role: string): boolean {
  const emitters = EXPECTED[type]!;
  return channel === 'internal' ? emitters.includes('internal') : emitters.includes(`${channel}:${role}`);
}

describe('who may emit what: every built-in type × role × channel', () => {
  it('the table covers every built-in type', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(BUILT_IN_EVENT_TYPES.map((d) => d.type).sort());
  });

  const cells = Object.keys(EXPECTED).flatMap((type) =>
    CHANNELS.flatMap((channel) => ROLES.map((role) => [type, channel, role] as const)),
  );

  it.each(cells)('%s over %s as %s', async (type, channel, role) => {
    const event = { type, entity: { type: type.split('.')[0]!, id: 'e-1' }, payload: SAMPLES[type]!.good };
    const result = await acceptEvents([event], context(channel, role), queue);
    if (allowed(type, channel, role)) {
      expect(result).toMatchObject({ ok: true });
      return;
    }
    expect(result).toMatchObject({ ok: false, forbidden: true });
    const issues = result.ok ? [] : result.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ index: 0, path: 'type' });
    // The reason names the type, who tried, and every emitter that may.
    const message = issues[0]!.message;
    expect(message).toContain(`${type} may not be emitted by `);
    if (channel !== 'internal') expect(message).toContain(`role ${role} over ${channel}`);
    for (const emitter of EXPECTED[type]!) expect(message).toContain(`(${emitter})`);
  });

  it('a credential with several roles may emit what any of them may', async () => {
    const event = { type: 'user.login', entity: { type: 'user', id: 'carol' }, payload: {} };
    const ctx = { ...context('http', 'operator'), roles: ['operator', 'identity'] as const };
    expect(await acceptEvents([event], ctx, queue)).toMatchObject({ ok: true });
  });
});

describe('EXTRA_EVENT_TYPES: who may emit a registered type', () => {
  it('defaults to the fleet (devices, operators, admins), and to the identity source under user.', () => {
    const [lab, badge] = parseExtraEventTypes('lab.sample.taken:WARNING,user.badge.swiped');
    expect(lab?.emitters).toEqual(FLEET);
    expect(badge?.emitters).toEqual(['http:identity']);
  });

  it('takes an explicit list after @, with or without a severity', () => {
    const [badge, gate] = parseExtraEventTypes(
      'user.badge.swiped@iot:device, gate.alarm:CRITICAL@http:admin+iot:device',
    );
    expect(badge).toMatchObject({ type: 'user.badge.swiped', defaultSeverity: 'INFO', emitters: ['iot:device'] });
    expect(gate).toMatchObject({
      type: 'gate.alarm',
      defaultSeverity: 'CRITICAL',
      emitters: ['http:admin', 'iot:device'],
    });
  });

  it('is enforced at ingest like a built-in type', async () => {
    const registered = createCatalog(parseExtraEventTypes('gate.alarm@http:admin'));
    const event = { type: 'gate.alarm', entity: { type: 'gate', id: 'g-1' } };
    const asRole = (channel: Channel, role: (typeof ROLES)[number]) => ({
      ...context(channel, role),
      catalog: registered,
    });
    expect(await acceptEvents([event], asRole('http', 'admin'), queue)).toMatchObject({ ok: true });
    expect(await acceptEvents([event], asRole('iot', 'device'), queue)).toMatchObject({ forbidden: true });
    expect(await acceptEvents([event], asRole('http', 'operator'), queue)).toMatchObject({ forbidden: true });
  });

  it.each([
    ['audit.export.downloaded', /audit\.\* types are the trail's own records/],
    ['lab.sample.taken@internal', /"internal" is reserved for the trail's own records/],
    ['lab.sample.taken@http:device', /emitter "http:device" must be iot:device or one of http:admin/],
    ['lab.sample.taken@iot:operator', /emitter "iot:operator"/],
    ['lab.sample.taken@http:root', /emitter "http:root"/],
    ['lab.sample.taken@', /the emitter list after "@" is empty/],
  ])('refuses %s, naming the item and why', (spec, message) => {
    expect(() => parseExtraEventTypes(spec)).toThrow(message);
    expect(() => parseExtraEventTypes(spec)).toThrow(/^EXTRA_EVENT_TYPES: "/);
  });
});
