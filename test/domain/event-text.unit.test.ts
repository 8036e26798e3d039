import { describe, expect, it } from 'vitest';
import { eventText } from '../../shared/core/domain/event-text.ts';
import { packEvents } from '../../shared/core/ingest/packing.ts';
import { eventAbout } from '../support/events.ts';

describe('eventText', () => {
  it('is JSON.stringify of the event, made once per event object', () => {
    const event = eventAbout('robot:r-1', { payload: { note: 'ünïcode 😀' } });
    const text = eventText(event);
    expect(text).toBe(JSON.stringify(event));
    expect(eventText(event)).toBe(text);
    expect(eventText({ ...event })).toBe(text);
  });

  it('is the text packed into the queue message (astral characters escaped there)', () => {
    const plain = eventAbout('robot:r-1');
    const emoji = eventAbout('robot:r-1', { payload: { note: '😀' } });
    const [message] = packEvents([plain, emoji]);
    expect(message?.body).toBe(`{"events":[${eventText(plain)},${eventText(emoji).replace('😀', '\\ud83d\\ude00')}]}`);
    expect(JSON.parse(message?.body ?? '')).toEqual({ events: [plain, emoji] });
  });
});
