import { describe, expect, it } from 'vitest';
import { IOT_RULE_SQL, IOT_TOPIC_FILTER, readIotRuleEvent, thingFromTopic } from '../../shared/ingest/iot-message.ts';

const RULE_TIME = Date.parse('2026-05-10T12:00:00Z');
const deviceEvent = { type: 'robot.online', entity: { type: 'robot', id: 'r-17' }, payload: { reason: 'boot' } };

describe('readIotRuleEvent', () => {
  it('takes the thing, client id and time from the rule, and strips them from the event', () => {
    const result = readIotRuleEvent({ ...deviceEvent, thing: 'r-17', clientId: 'r-17-conn', receivedAt: RULE_TIME });
    expect(result).toEqual({
      ok: true,
      thing: 'r-17',
      clientId: 'r-17-conn',
      receivedAt: new Date(RULE_TIME),
      events: [deviceEvent],
    });
  });

  it('reads the { events: [...] } batch form', () => {
    const second = { ...deviceEvent, type: 'robot.offline' };
    const result = readIotRuleEvent({ events: [deviceEvent, second], thing: 'r-17', receivedAt: RULE_TIME });
    expect(result).toMatchObject({ ok: true, events: [deviceEvent, second] });
  });

  it('an object with events plus other fields is one event (validation will refuse it)', () => {
    const raw = { events: [deviceEvent], type: 'robot.online' };
    const result = readIotRuleEvent({ ...raw, thing: 'r-17', receivedAt: RULE_TIME });
    expect(result).toMatchObject({ ok: true, events: [raw] });
  });

  it('omits an empty or missing client id', () => {
    const result = readIotRuleEvent({ ...deviceEvent, thing: 'r-17', clientId: '', receivedAt: RULE_TIME });
    expect(result.ok && 'clientId' in result).toBe(false);
  });

  it.each([undefined, '', 'has space', 'a:b', 42, ['r-17'], 'x'.repeat(129)])(
    'refuses an invalid thing %j',
    (thing) => {
      const result = readIotRuleEvent({ ...deviceEvent, thing, receivedAt: RULE_TIME });
      expect(result).toEqual({ ok: false, error: expect.stringMatching(/does not name a valid thing/) });
    },
  );

  it('refuses a message without the rule timestamp', () => {
    expect(readIotRuleEvent({ ...deviceEvent, thing: 'r-17' })).toEqual({
      ok: false,
      error: expect.stringMatching(/receivedAt/),
    });
    expect(readIotRuleEvent({ ...deviceEvent, thing: 'r-17', receivedAt: '2026-05-10T12:00:00Z' }).ok).toBe(false);
  });
});

describe('thingFromTopic', () => {
  it('reads audit/<thing>/events', () => {
    expect(thingFromTopic('audit/r-17/events')).toBe('r-17');
    expect(thingFromTopic('audit/plc-7/events')).toBe('plc-7');
  });

  it.each(['audit//events', 'audit/r-17', 'audit/r-17/events/extra', 'other/r-17/events', 'audit/r-17/alerts', ''])(
    'ignores %j',
    (topic) => {
      expect(thingFromTopic(topic)).toBeUndefined();
    },
  );

  it('the rule SQL reads the thing from the same topic filter', () => {
    expect(IOT_TOPIC_FILTER).toBe('audit/+/events');
    expect(IOT_RULE_SQL).toContain(`FROM '${IOT_TOPIC_FILTER}'`);
    expect(IOT_RULE_SQL).toContain('topic(2) AS thing');
  });
});
