import { describe, expect, it } from 'vitest';
import { BUILT_IN_EVENT_TYPES, createCatalog, parseExtraEventTypes } from '../../shared/core/domain/catalog.ts';

const catalog = createCatalog();

function payloadOf(type: string) {
  const definition = catalog.get(type);
  if (!definition) throw new Error(`${type} is not in the catalog`);
  return definition.payload;
}

/** A realistic payload and one that must be refused, for every built-in type. */
const SAMPLES: Record<string, { good: Record<string, unknown>; bad: Record<string, unknown> }> = {
  'robot.online': { good: { reason: 'boot' }, bad: { reason: 42 } },
  'robot.offline': { good: { reason: 'heartbeat timeout' }, bad: { reason: '' } },
  'robot.config.pushed': {
    good: { version: 'cfg-2026.05.1', changes: ['speed', 'zone'] },
    bad: { changes: ['speed'] },
  },
  'robot.firmware.queued': { good: { version: '4.2.0', fromVersion: '4.1.3' }, bad: { version: 4.2 } },
  'robot.firmware.applied': {
    good: { version: '4.2.0', fromVersion: '4.1.3', success: true },
    bad: { version: '4.2.0', success: 'yes' },
  },
  'robot.session.started': { good: { sessionId: 's-991', operator: 'alice' }, bad: { operator: 'alice' } },
  'robot.session.ended': {
    good: { sessionId: 's-991', durationSeconds: 312 },
    bad: { sessionId: 's-991', durationSeconds: -1 },
  },
  'sensor.threshold.breached': {
    good: { metric: 'temperature', value: 9.4, threshold: 8, unit: 'C' },
    bad: { metric: 'temperature', value: '9.4', threshold: 8 },
  },
  'sensor.threshold.recovered': {
    good: { metric: 'temperature', value: 7.5, threshold: 8 },
    bad: { metric: 'temperature', value: 7.5 },
  },
  'sensor.offline': {
    good: { lastSeenAt: '2026-05-10T11:58:00Z', reason: 'no uplink' },
    bad: { lastSeenAt: 'yesterday' },
  },
  'sensor.battery.low': { good: { level: 12 }, bad: { level: 140 } },
  'sensor.payload.decode_failed': { good: { error: 'CRC mismatch', rawSize: 51 }, bad: { rawSize: 51 } },
  'container.bay.assigned': { good: { bay: 'B-12' }, bad: {} },
  'container.moved': { good: { fromBay: 'B-12', toBay: 'C-03' }, bad: { fromBay: 'B-12' } },
  'container.weight.captured': { good: { value: 412.5, unit: 'kg' }, bad: { value: 'heavy' } },
  'container.temperature.captured': { good: { value: 3.2 }, bad: { unit: 'C' } },
  'container.batch.changed': {
    good: { cultivar: 'Nadorcott', batch: 'NAD-2026-114', fromBatch: 'NAD-2026-101' },
    bad: { fromBatch: 'NAD-2026-101' },
  },
  'controller.state.changed': { good: { from: 'IDLE', to: 'RUNNING' }, bad: { from: 'IDLE' } },
  'controller.register.overridden': {
    good: { register: 'HR40001', from: 0, to: 1 },
    bad: { register: 'HR40001', from: 0 },
  },
  'controller.protocol.error': {
    good: { protocol: 'modbus-tcp', error: 'timeout after 3 retries' },
    bad: { protocol: 'modbus-tcp' },
  },
  'user.login': { good: { method: 'password+totp' }, bad: { method: ['sso'] } },
  'user.logout': { good: { method: 'timeout' }, bad: { method: 7 } },
  'user.role.changed': { good: { from: 'operator', to: 'admin' }, bad: { from: 'operator' } },
  'user.permission.granted': { good: { permission: 'events:export' }, bad: { permission: '' } },
  'user.permission.revoked': { good: { permission: 'events:export' }, bad: {} },
  'user.override': {
    good: { target: 'controller:plc-7', setting: 'setpoint', from: 4, to: 6 },
    bad: { target: 'controller:plc-7', to: 6 },
  },
  'audit.accessed': {
    good: { route: 'GET /events', filters: { severity: 'CRITICAL' }, rows: 20 },
    bad: { route: 'GET /events', rows: -3 },
  },
};

describe('event-type catalog', () => {
  it('has a sample for every built-in type (so a new type cannot slip in untested)', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(BUILT_IN_EVENT_TYPES.map((d) => d.type).sort());
  });

  it.each(Object.entries(SAMPLES))('%s accepts a realistic payload and refuses a wrong one', (type, { good, bad }) => {
    const schema = payloadOf(type);
    expect(schema.safeParse(good).success).toBe(true);
    expect(schema.safeParse(bad).success).toBe(false);
  });

  it('every type has a description and a default severity', () => {
    for (const definition of BUILT_IN_EVENT_TYPES) {
      expect(definition.description.length).toBeGreaterThan(0);
      expect(['INFO', 'WARNING', 'ERROR', 'CRITICAL']).toContain(definition.defaultSeverity);
    }
  });

  it('type names are unique', () => {
    const names = BUILT_IN_EVENT_TYPES.map((d) => d.type);
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps payload fields the schema does not list', () => {
    expect(payloadOf('sensor.battery.low').parse({ level: 9, voltage: 3.1 })).toEqual({ level: 9, voltage: 3.1 });
  });

  it('fills defaults: capture units, firmware success', () => {
    expect(payloadOf('container.weight.captured').parse({ value: 400 })).toEqual({ value: 400, unit: 'kg' });
    expect(payloadOf('container.temperature.captured').parse({ value: 3 })).toEqual({ value: 3, unit: 'C' });
    expect(payloadOf('robot.firmware.applied').parse({ version: '4.2.0' })).toMatchObject({ success: true });
  });
});

describe('names and payloads clients already rely on (issue #2 table)', () => {
  it.each(['robot.online', 'robot.offline'])('%s: { reason?: string }', (type) => {
    const schema = payloadOf(type);
    expect(schema.safeParse({}).success).toBe(true);
    expect(schema.safeParse({ reason: 'maintenance' }).success).toBe(true);
    expect(schema.safeParse({ reason: 1 }).success).toBe(false);
  });

  it.each(['sensor.threshold.breached', 'sensor.threshold.recovered'])(
    '%s: { metric: string, value: number, threshold: number, unit?: string }',
    (type) => {
      const schema = payloadOf(type);
      expect(schema.safeParse({ metric: 'humidity', value: 91, threshold: 85 }).success).toBe(true);
      expect(schema.safeParse({ metric: 'humidity', value: 91, threshold: 85, unit: '%' }).success).toBe(true);
      expect(schema.safeParse({ value: 91, threshold: 85 }).success).toBe(false);
      expect(schema.safeParse({ metric: 'humidity', threshold: 85 }).success).toBe(false);
      expect(schema.safeParse({ metric: 'humidity', value: 91 }).success).toBe(false);
      expect(schema.safeParse({ metric: 'humidity', value: 91, threshold: '85' }).success).toBe(false);
      expect(schema.safeParse({ metric: 'humidity', value: 91, threshold: 85, unit: 5 }).success).toBe(false);
    },
  );

  it('sensor.battery.low: { level: number } as a percentage', () => {
    const schema = payloadOf('sensor.battery.low');
    expect(schema.safeParse({ level: 0 }).success).toBe(true);
    expect(schema.safeParse({ level: 7.5 }).success).toBe(true);
    expect(schema.safeParse({ level: 100 }).success).toBe(true);
    expect(schema.safeParse({}).success).toBe(false);
    expect(schema.safeParse({ level: '7' }).success).toBe(false);
    expect(schema.safeParse({ level: -1 }).success).toBe(false);
    expect(schema.safeParse({ level: 101 }).success).toBe(false);
  });

  it('container.moved: { fromBay?: string, toBay: string }', () => {
    const schema = payloadOf('container.moved');
    expect(schema.safeParse({ toBay: 'C-03' }).success).toBe(true);
    expect(schema.safeParse({ fromBay: 'B-12', toBay: 'C-03' }).success).toBe(true);
    expect(schema.safeParse({ fromBay: 'B-12' }).success).toBe(false);
    expect(schema.safeParse({ toBay: 3 }).success).toBe(false);
  });

  it.each(['user.login', 'user.logout'])('%s: { method?: string }', (type) => {
    const schema = payloadOf(type);
    expect(schema.safeParse({}).success).toBe(true);
    expect(schema.safeParse({ method: 'sso' }).success).toBe(true);
    expect(schema.safeParse({ method: true }).success).toBe(false);
  });

  it('user.override: { target: string, setting: string, from?: unknown, to: unknown }', () => {
    const schema = payloadOf('user.override');
    expect(schema.safeParse({ target: 'robot:r-17', setting: 'maxSpeed', to: 1.2 }).success).toBe(true);
    expect(schema.safeParse({ target: 'robot:r-17', setting: 'mode', from: 'auto', to: 'manual' }).success).toBe(true);
    expect(schema.safeParse({ target: 'robot:r-17', setting: 'limits', from: { a: 1 }, to: null }).success).toBe(true);
    expect(schema.parse({ target: 'robot:r-17', setting: 'limits', to: [1, 2] })).toEqual({
      target: 'robot:r-17',
      setting: 'limits',
      to: [1, 2],
    });
    expect(schema.safeParse({ target: 'robot:r-17', setting: 'maxSpeed' }).success).toBe(false);
    expect(schema.safeParse({ setting: 'maxSpeed', to: 1 }).success).toBe(false);
    expect(schema.safeParse({ target: 'robot:r-17', to: 1 }).success).toBe(false);
  });
});

describe('seed 000 "What gets logged": every item has a type', () => {
  const items: [string, string][] = [
    ['robot online', 'robot.online'],
    ['robot offline', 'robot.offline'],
    ['configuration push', 'robot.config.pushed'],
    ['firmware queue', 'robot.firmware.queued'],
    ['firmware apply', 'robot.firmware.applied'],
    ['remote-session start', 'robot.session.started'],
    ['remote-session end', 'robot.session.ended'],
    ['alarm threshold breach', 'sensor.threshold.breached'],
    ['alarm threshold recover', 'sensor.threshold.recovered'],
    ['sensor offline', 'sensor.offline'],
    ['battery low', 'sensor.battery.low'],
    ['payload-decode failure', 'sensor.payload.decode_failed'],
    ['bay assignment', 'container.bay.assigned'],
    ['movement', 'container.moved'],
    ['weight capture', 'container.weight.captured'],
    ['temperature capture', 'container.temperature.captured'],
    ['cultivar / batch association change', 'container.batch.changed'],
    ['state-machine transition', 'controller.state.changed'],
    ['register write override', 'controller.register.overridden'],
    ['protocol error', 'controller.protocol.error'],
    ['login', 'user.login'],
    ['logout', 'user.logout'],
    ['role change', 'user.role.changed'],
    ['permission grant', 'user.permission.granted'],
    ['permission revoke', 'user.permission.revoked'],
    ['manual override', 'user.override'],
  ];
  it.each(items)('%s → %s', (_item, type) => {
    expect(catalog.has(type)).toBe(true);
  });

  it('default severities: problems are at least WARNING, errors ERROR, routine INFO', () => {
    const severity = (type: string) => catalog.get(type)?.defaultSeverity;
    expect(severity('robot.online')).toBe('INFO');
    expect(severity('robot.offline')).toBe('WARNING');
    expect(severity('sensor.threshold.breached')).toBe('WARNING');
    expect(severity('sensor.threshold.recovered')).toBe('INFO');
    expect(severity('sensor.battery.low')).toBe('WARNING');
    expect(severity('sensor.payload.decode_failed')).toBe('ERROR');
    expect(severity('controller.protocol.error')).toBe('ERROR');
    expect(severity('user.override')).toBe('WARNING');
    expect(severity('user.login')).toBe('INFO');
  });
});

describe('EXTRA_EVENT_TYPES', () => {
  it('is empty when unset or blank', () => {
    expect(parseExtraEventTypes(undefined)).toEqual([]);
    expect(parseExtraEventTypes('  ')).toEqual([]);
  });

  it('parses names with optional severity (INFO by default, case-insensitive), ignoring spaces and empty items', () => {
    const extra = parseExtraEventTypes(' lab.sample.taken:warning , dock.door.opened,, gate.alarm:CRITICAL ');
    expect(extra.map((d) => [d.type, d.defaultSeverity])).toEqual([
      ['lab.sample.taken', 'WARNING'],
      ['dock.door.opened', 'INFO'],
      ['gate.alarm', 'CRITICAL'],
    ]);
  });

  it('registered types take any object payload', () => {
    const [definition] = parseExtraEventTypes('lab.sample.taken');
    expect(definition?.payload.safeParse({ anything: [1, 2], nested: { ok: true } }).success).toBe(true);
    expect(definition?.payload.safeParse('text').success).toBe(false);
  });

  it('refuses a bad name, naming the variable and the item', () => {
    expect(() => parseExtraEventTypes('Lab Sample')).toThrow(
      /EXTRA_EVENT_TYPES: "Lab Sample" is not a valid event type name/,
    );
    expect(() => parseExtraEventTypes('nodots')).toThrow(/EXTRA_EVENT_TYPES: "nodots"/);
  });

  it('refuses an unknown severity, naming it', () => {
    expect(() => parseExtraEventTypes('lab.sample.taken:LOUD')).toThrow(
      /EXTRA_EVENT_TYPES: .*severity "LOUD".*INFO, WARNING, ERROR or CRITICAL/,
    );
  });

  it('adds the types to the catalog; a built-in name cannot be registered again', () => {
    const extended = createCatalog(parseExtraEventTypes('lab.sample.taken:ERROR'));
    expect(extended.get('lab.sample.taken')?.defaultSeverity).toBe('ERROR');
    expect(extended.has('robot.online')).toBe(true);
    expect(catalog.has('lab.sample.taken')).toBe(false);
    expect(() => createCatalog(parseExtraEventTypes('robot.online:CRITICAL'))).toThrow(/robot\.online is built in/);
  });
});
