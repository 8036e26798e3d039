import { describe, expect, it } from 'vitest';
import { BUILT_IN_EVENT_TYPES, createCatalog, parseExtraEventTypes } from '../../shared/core/domain/catalog.ts';
import { SAMPLES } from '../support/catalog-samples.ts';

const catalog = createCatalog();

function payloadOf(type: string) {
  const definition = catalog.get(type);
  if (!definition) throw new Error(`${type} is not in the catalog`);
  return definition.payload;
}

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
