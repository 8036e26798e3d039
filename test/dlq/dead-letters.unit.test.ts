import { describe, expect, it } from 'vitest';
import { describeDeadLetter, planRedrive, redriveDeduplicationId } from '../../shared/core/dlq/events-dlq.ts';
import { describeFailedInvocation, planInvocationRedrive } from '../../shared/core/dlq/iot-failures.ts';
import { deduplicationIdFor, packEvents } from '../../shared/core/ingest/packing.ts';
import type { HeldMessage } from '../../shared/core/ports/dead-letters.ts';
import { deadEventMessage, deadMessage } from '../../shared/core/writer/dead-letter.ts';
import { eventAbout } from '../support/events.ts';
import { DOCUMENTED_FAILURE_RECORD, INGEST_FAILURE_RECORD, RULE_EVENT } from './invocation-records.ts';

const SENT = new Date('2026-05-10T12:05:00.000Z');
const held = (message: Partial<HeldMessage> & { body: string }): HeldMessage => ({
  messageId: 'dlq-1',
  receiveCount: 7,
  sentAt: SENT,
  ...message,
});

describe('events DLQ: a message the redrive policy moved after MAX_RECEIVE_COUNT receives', () => {
  const events = [eventAbout('robot:r-1', { payload: { emoji: '😀' } }), eventAbout('robot:r-1')];
  const [packed] = packEvents(events);
  const message = held({ body: packed!.body, groupId: 'robot:r-1' });

  it('lists as retries, with its group, event ids, times and receive count', () => {
    expect(describeDeadLetter(message)).toEqual({
      id: 'dlq-1',
      kind: 'retries',
      reason: expect.stringContaining('failed 5 receives'),
      group: 'robot:r-1',
      eventIds: events.map((event) => event.id),
      acceptedAt: events[0]!.receivedAt,
      deadLetteredAt: SENT.toISOString(),
      receives: 7,
      redrivable: true,
    });
  });

  it('is resent as it is, in its group, with a deduplication id of its own, not the original', () => {
    const plan = planRedrive(message);
    expect(plan).toEqual({
      ok: true,
      action: { groupId: 'robot:r-1', deduplicationId: redriveDeduplicationId('dlq-1'), body: packed!.body },
    });
    // The original id would be dropped by FIFO deduplication if the message was first sent < 5 minutes ago.
    expect(plan.ok && plan.action.deduplicationId).not.toBe(deduplicationIdFor(events));
  });
});

describe('events DLQ: an event PostgreSQL refused, dead-lettered alone by the writer', () => {
  const event = eventAbout('robot:r-2');
  const letter = deadEventMessage({
    reason: 'the store refused the event: unsupported Unicode escape sequence (22P05)',
    sqlState: '22P05',
    messageId: 'orig-9',
    groupId: 'robot:r-2',
    eventIndex: 1,
    event,
  });
  const message = held({ body: letter.body, groupId: 'robot:r-2', reason: letter.reason, originalMessageId: 'orig-9' });

  it('lists as event, with the reason and the original message id', () => {
    expect(describeDeadLetter(message)).toMatchObject({
      kind: 'event',
      reason: letter.reason,
      group: 'robot:r-2',
      eventIds: [event.id],
      acceptedAt: event.receivedAt,
      originalId: 'orig-9',
      redrivable: true,
    });
  });

  it('is rebuilt as a main-queue message of its group: {"events":[event]}', () => {
    const plan = planRedrive(message);
    if (!plan.ok) throw new Error(plan.why);
    expect(plan.action.groupId).toBe('robot:r-2');
    expect(plan.action.deduplicationId).toBe(redriveDeduplicationId('dlq-1'));
    expect(JSON.parse(plan.action.body)).toEqual({ events: [event] });
  });
});

describe('events DLQ: what cannot be redriven stays, saying why', () => {
  it('an unparseable message the writer dead-lettered whole', () => {
    const letter = deadMessage({
      messageId: 'orig-3',
      groupId: 'robot:r-3',
      deduplicationId: 'd',
      body: 'not json',
      reason: 'body is not JSON: Unexpected token',
    });
    const message = held({
      body: letter.body,
      groupId: 'robot:r-3',
      reason: letter.reason,
      originalMessageId: 'orig-3',
    });
    expect(describeDeadLetter(message)).toMatchObject({ kind: 'message', reason: letter.reason, originalId: 'orig-3' });
    expect(planRedrive(message)).toEqual({ ok: false, why: expect.stringContaining('would dead-letter it again') });
  });

  it('a body claiming the dead-letter format without matching it', () => {
    const message = held({ body: JSON.stringify({ format: 'trail.dead-letter/1', kind: 'event' }) });
    expect(planRedrive(message)).toEqual({ ok: false, why: expect.stringContaining('claims the dead-letter format') });
    expect(describeDeadLetter(message)).toMatchObject({ redrivable: false });
  });

  it('a message restored with a reason but holding valid events is still redriven whole', () => {
    const [packed] = packEvents([eventAbout('robot:r-4')]);
    const message = held({ body: packed!.body, groupId: 'robot:r-4', reason: 'restored from spool' });
    expect(describeDeadLetter(message)).toMatchObject({ kind: 'message', redrivable: true });
    expect(planRedrive(message)).toMatchObject({ ok: true, action: { body: packed!.body, groupId: 'robot:r-4' } });
  });
});

describe('redriveDeduplicationId', () => {
  it('is the same for the same DLQ message (a retried redrive is deduplicated), within SQS’s 128 characters', () => {
    expect(redriveDeduplicationId('abc')).toBe(redriveDeduplicationId('abc'));
    expect(redriveDeduplicationId('abc')).not.toBe(redriveDeduplicationId('abd'));
    expect(redriveDeduplicationId('x'.repeat(200)).length).toBeLessThanOrEqual(128);
  });
});

describe('IoT on-failure queue: Lambda invocation records', () => {
  it('reads the documented record, whose payload is no rule event: shown, not redrivable', () => {
    const message = held({ body: JSON.stringify(DOCUMENTED_FAILURE_RECORD) });
    expect(describeFailedInvocation(message)).toMatchObject({
      kind: 'invocation',
      reason:
        'RetriesExhausted after 3 attempt(s): RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request',
      deadLetteredAt: '2019-11-14T18:16:05.568Z',
      originalId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
      redrivable: false,
      notRedrivable: expect.stringContaining('not an IoT rule event'),
    });
  });

  it('shows the device, topic and reason of an ingest failure, and redrives its requestPayload', () => {
    const message = held({ body: JSON.stringify(INGEST_FAILURE_RECORD) });
    expect(describeFailedInvocation(message)).toEqual({
      id: 'dlq-1',
      kind: 'invocation',
      reason:
        'RetriesExhausted after 3 attempt(s): QueueSendError: 1 message(s) could not be queued after 5 attempt(s)',
      group: 'device:plc-7',
      topic: 'audit/plc-7/events',
      eventIds: [],
      acceptedAt: '2026-04-02T08:00:00.000Z',
      deadLetteredAt: '2026-04-02T08:03:10.000Z',
      receives: 7,
      originalId: INGEST_FAILURE_RECORD.requestContext.requestId,
      redrivable: true,
    });
    expect(planInvocationRedrive(message)).toEqual({ ok: true, action: RULE_EVENT });
  });

  it('a body that is no invocation record is not redrivable', () => {
    expect(planInvocationRedrive(held({ body: '{"hello":1}' }))).toEqual({
      ok: false,
      why: expect.stringContaining('not a Lambda invocation record'),
    });
  });
});
