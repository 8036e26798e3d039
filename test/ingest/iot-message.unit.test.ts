import { describe, expect, it } from 'vitest';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import {
  IOT_RULE_SQL,
  IOT_TOPIC_FILTER,
  iotRuleEventSchema,
  matchesRuleTopic,
  readIotRuleEvent,
  thingFromTopic,
} from '../../shared/core/ingest/iot-message.ts';

const RULE_TIME = Date.parse('2026-05-10T12:00:00Z');
const deviceEvent = { type: 'robot.online', entity: { type: 'robot', id: 'r-17' }, payload: { reason: 'boot' } };

/** What the rule SQL hands the function: the device's bytes in base64, beside the rule's own fields. */
const b64 = (bytes: string | Buffer) => Buffer.from(bytes).toString('base64');
const ruleEvent = (device: unknown, fields: Record<string, unknown> = {}) => ({
  payload: b64(JSON.stringify(device)),
  thing: 'r-17',
  clientId: 'r-17-conn',
  receivedAt: RULE_TIME,
  ...fields,
});

describe('readIotRuleEvent', () => {
  it('takes the thing, client id and time from the rule, and the event from the decoded payload', () => {
    const result = readIotRuleEvent(ruleEvent(deviceEvent));
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
    const result = readIotRuleEvent(ruleEvent({ events: [deviceEvent, second] }));
    expect(result).toMatchObject({ ok: true, events: [deviceEvent, second] });
  });

  it('an object with events plus other fields is one event (validation will refuse it)', () => {
    const raw = { events: [deviceEvent], type: 'robot.online' };
    const result = readIotRuleEvent(ruleEvent(raw));
    expect(result).toMatchObject({ ok: true, events: [raw] });
  });

  it('omits an empty or missing client id', () => {
    const empty = readIotRuleEvent(ruleEvent(deviceEvent, { clientId: '' }));
    expect(empty.ok && 'clientId' in empty).toBe(false);
    const { clientId: _, ...withoutClientId } = ruleEvent(deviceEvent);
    const missing = readIotRuleEvent(withoutClientId);
    expect(missing).toMatchObject({ ok: true, thing: 'r-17' });
    expect(missing.ok && 'clientId' in missing).toBe(false);
  });

  it.each([undefined, '', 'has space', 'a:b', 42, ['r-17'], 'x'.repeat(129)])(
    'refuses an invalid thing %j',
    (thing) => {
      const result = readIotRuleEvent(ruleEvent(deviceEvent, { thing }));
      expect(result).toEqual({ ok: false, error: expect.stringMatching(/does not name a valid thing/) });
    },
  );

  it('refuses a message without the rule timestamp', () => {
    const { receivedAt: _, ...withoutTime } = ruleEvent(deviceEvent);
    expect(readIotRuleEvent(withoutTime)).toEqual({ ok: false, error: expect.stringMatching(/receivedAt/) });
    expect(readIotRuleEvent(ruleEvent(deviceEvent, { receivedAt: '2026-05-10T12:00:00Z' }))).toEqual({
      ok: false,
      error: expect.stringMatching(/receivedAt/),
    });
  });

  it('decodes the raw bytes as UTF-8, whatever the characters', () => {
    const text = { ...deviceEvent, payload: { reason: 'Kühlraum 3 — Tür offen ✓' } };
    const result = readIotRuleEvent({ ...ruleEvent(null), payload: b64(Buffer.from(JSON.stringify(text), 'utf8')) });
    expect(result).toMatchObject({ ok: true, events: [text] });
  });

  describe('refuses, saying what and why, and never throws on', () => {
    const refused = (input: unknown, reason: RegExp) => {
      const result = readIotRuleEvent(input);
      expect(result).toEqual({ ok: false, error: expect.stringMatching(reason) });
    };

    it('a payload that is not base64', () => {
      refused(ruleEvent(null, { payload: 'not base64!' }), /payload is not base64/);
      refused(ruleEvent(null, { payload: 'eyJ0eXBlIjoi' + '?' }), /payload is not base64/);
      refused(ruleEvent(null, { payload: { type: 'robot.online' } }), /payload is not base64.*an object/);
    });

    it('a rule event without the payload field', () => {
      const { payload: _, ...withoutPayload } = ruleEvent(deviceEvent);
      refused(withoutPayload, /the rule did not add payload \(encode\(\*, 'base64'\)\)/);
    });

    it('bytes that are not UTF-8 (e.g. a binary protocol)', () => {
      refused(ruleEvent(null, { payload: b64(Buffer.from([0x08, 0x96, 0x01, 0xff, 0xfe])) }), /5 bytes.*not UTF-8/);
      // A lone continuation byte inside otherwise valid JSON.
      refused(ruleEvent(null, { payload: b64(Buffer.from([0x7b, 0x80, 0x7d])) }), /not UTF-8/);
    });

    it('text that is not JSON', () => {
      refused(ruleEvent(null, { payload: b64('not json') }), /the device payload is not JSON: /);
      refused(ruleEvent(null, { payload: b64('{"type": "robot.online",') }), /not JSON/);
    });

    it('an empty payload', () => {
      refused(ruleEvent(null, { payload: '' }), /the device payload is empty/);
    });

    it('JSON that is not an object', () => {
      refused(ruleEvent([deviceEvent]), /must be a JSON object .* not an array/);
      refused(ruleEvent('robot.online'), /must be a JSON object .* not "robot.online"/);
      refused(ruleEvent(42), /must be a JSON object .* not number 42/);
      refused(ruleEvent(null), /must be a JSON object .* not null/);
    });

    it('an empty batch', () => {
      refused(ruleEvent({ events: [] }), /holds no events/);
    });

    it('a rule event that is not an object', () => {
      for (const input of [null, undefined, 'x', 42, []]) refused(input, /the rule event is not an object/);
    });

    it('the old merged shape, or any field the rule does not add', () => {
      // What `SELECT *, topic(2) AS thing, …` produced: the device's keys beside the rule's.
      refused(
        { ...deviceEvent, thing: 'r-17', clientId: 'r-17', receivedAt: RULE_TIME },
        /fields the rule SQL does not add \(type, entity\)/,
      );
      refused(ruleEvent(deviceEvent, { actor: { type: 'user', id: 'admin' } }), /does not add \(actor\)/);
    });
  });

  describe('identity comes only from the rule fields', () => {
    const identity = { thing: 'r-17', clientId: 'r-17-conn', receivedAt: new Date(RULE_TIME) };

    it.each([
      ['thing', { thing: 'r-99' }],
      ['clientId', { clientId: 'spoofed' }],
      ['receivedAt', { receivedAt: Date.parse('2020-01-01T00:00:00Z') }],
      ['payload', { payload: b64(JSON.stringify({ ...deviceEvent, entity: { type: 'robot', id: 'r-99' } })) }],
      ['actor', { actor: { type: 'user', id: 'admin' } }],
      ['source', { source: { channel: 'http', principal: 'admin' } }],
      ['all of them', { thing: 'r-99', clientId: 'x', receivedAt: 0, actor: {}, source: {}, payload: 'e30=' }],
    ])('a device event carrying its own %s is kept as sent, beside the rule identity', (_, keys) => {
      const sent = { ...deviceEvent, ...keys };
      const result = readIotRuleEvent(ruleEvent(sent));
      // Nothing of the device's reaches the identity; its keys stay in the event, where validation refuses them.
      expect(result).toEqual({ ok: true, ...identity, events: [sent] });
    });

    it('a device payload shaped like a whole rule event is one event, not unwrapped', () => {
      const forged = { payload: b64(JSON.stringify(deviceEvent)), thing: 'r-99', clientId: 'r-99', receivedAt: 0 };
      expect(readIotRuleEvent(ruleEvent(forged))).toEqual({ ok: true, ...identity, events: [forged] });
    });

    it('nested identity keys, and a batch whose every event carries them', () => {
      const nested = {
        ...deviceEvent,
        payload: { reason: 'boot', thing: 'r-99', clientId: 'x', receivedAt: 0, actor: { id: 'admin' } },
      };
      const batch = {
        events: [
          { ...nested, thing: 'r-98' },
          { ...deviceEvent, clientId: 'x', receivedAt: 1, source: { channel: 'http' } },
        ],
      };
      expect(readIotRuleEvent(ruleEvent(nested))).toEqual({ ok: true, ...identity, events: [nested] });
      expect(readIotRuleEvent(ruleEvent(batch))).toEqual({ ok: true, ...identity, events: batch.events });
    });
  });
});

describe('iotRuleEventSchema', () => {
  it('is the rule event exactly', () => {
    expect(iotRuleEventSchema.safeParse(ruleEvent(deviceEvent)).success).toBe(true);
    expect(iotRuleEventSchema.safeParse({ ...ruleEvent(deviceEvent), extra: 1 }).success).toBe(false);
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

  it('the rule topic filter matches as MQTT does (+ is one level, possibly empty)', () => {
    expect(matchesRuleTopic('audit/r-17/events')).toBe(true);
    expect(matchesRuleTopic('audit//events')).toBe(true);
    // Nor the alert topic, which the writer publishes on: alerts do not come back in as events.
    for (const topic of ['audit/r-17', 'audit/r-17/events/x', CRITICAL_ALERT_TOPIC, 'x/r-17/events'])
      expect(matchesRuleTopic(topic)).toBe(false);
  });
});
