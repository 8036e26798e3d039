import { describe, expect, it } from 'vitest';
import { createRandom } from '../../bench/events.ts';
import { badHttpInput, badMqttInput } from '../../chaos/bad-inputs.ts';
import { Ledger } from '../../chaos/ledger.ts';
import { compare } from '../../chaos/tally.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { validateEvents } from '../../shared/core/domain/event.ts';
import { parseEventsBody } from '../../shared/core/ingest/http-body.ts';
import { readIotRuleEvent } from '../../shared/core/ingest/iot-message.ts';

const context = () => ({
  catalog: createCatalog(),
  receivedAt: new Date(),
  actor: { type: 'user' as const, id: 'chaos' },
  source: { channel: 'http' as const, principal: 'chaos', ip: '127.0.0.1' },
  roles: ['admin' as const],
});

/** What ingest makes of a body: accepted (ids) or refused. */
function httpVerdict(contentType: string, body: Buffer): 'accepted' | 'refused' {
  const parsed = parseEventsBody(contentType, body);
  if (!parsed.ok) return 'refused';
  return validateEvents(parsed.events, context()).ok ? 'accepted' : 'refused';
}

describe('chaos bad inputs', () => {
  it('every generated HTTP bad input is refused by the ingest rules (else the suite would count a false 2xx)', () => {
    const random = createRandom(7);
    const accepted = Array.from({ length: 1500 }, () => badHttpInput(random)).filter(
      (input) => httpVerdict(input.contentType, input.body) === 'accepted',
    );
    expect(accepted.map((input) => input.what)).toEqual([]);
  });

  it('every generated MQTT bad input is refused by the IoT message rules and validation', () => {
    const random = createRandom(8);
    const accepted = Array.from({ length: 500 }, () => badMqttInput(random)).filter((input) => {
      const message = readIotRuleEvent({
        payload: input.body.toString('base64'),
        thing: 'r-1',
        receivedAt: Date.now(),
      });
      return message.ok && validateEvents(message.events, context()).ok;
    });
    expect(accepted.map((input) => input.what)).toEqual([]);
  });
});

describe('chaos tally', () => {
  const holdings = (pg: [string, number][], archive: [string, number][], dlq: [string, number][]) => ({
    postgres: new Map(pg),
    archive: new Map(archive),
    deadLetters: new Map(dlq),
    unreadableDeadLetters: 0,
  });

  it('lost = accepted and nowhere; dead-lettered = only in the DLQ; duplicated = twice in PostgreSQL, or in both', () => {
    const ledger = new Ledger();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) ledger.accepted.add(id);
    ledger.refused.set('bad', 'NUL');
    const figures = compare(
      ledger,
      holdings(
        [
          ['a', 1],
          ['b', 2],
          ['c', 1],
          ['unanswered', 1],
          ['bad', 1],
        ],
        [
          ['c', 1],
          ['d', 1],
        ],
        [['e', 1]],
      ),
    );
    expect(figures).toMatchObject({
      accepted: 6,
      stored: 5,
      lost: 1,
      lost_sample: ['f'],
      dead_lettered: 1,
      duplicated: 2,
      pg_rows: 6,
      archived_rows: 2,
      dlq_events: 1,
      stored_unacknowledged: 1,
      bad_inputs_stored: 1,
    });
    expect([...figures.duplicated_sample].sort()).toEqual(['b', 'c']);
  });
});
