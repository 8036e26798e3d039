import { describe, expect, it } from 'vitest';
import { copyField, copyLines } from '../../bench/copy.ts';
import { createFleet, createRandom, storedEvent } from '../../bench/events.ts';
import { EVENT_COLUMNS } from '../../shared/adapters/postgres/event-rows.ts';
import { storedEventSchema } from '../../shared/core/domain/event.ts';

describe('COPY text format', () => {
  it('escapes backslash, tab and line breaks, and writes NULL as \\N', () => {
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField(21)).toBe('21');
  });

  it('writes one line per event with a field for every column the writer inserts', () => {
    const random = createRandom(7);
    const [entity] = createFleet(20);
    const events = [
      storedEvent(random, entity!, Date.UTC(2026, 4, 10)),
      storedEvent(random, entity!, Date.UTC(2026, 4, 11)),
    ];
    const lines = copyLines(events).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const fields = lines[0]!.split('\t');
    expect(fields).toHaveLength(EVENT_COLUMNS.split(', ').length);
    expect(fields[0]).toBe(events[0]!.id);
  });
});

describe('generated events', () => {
  it('are valid stored events, the same for the same seed, mostly INFO', () => {
    const fleet = createFleet(5000);
    const make = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 2000 }, (_, i) =>
        storedEvent(random, fleet[i % fleet.length]!, Date.UTC(2026, 0, 1) + i),
      );
    };
    const events = make(1);
    for (const event of events.slice(0, 200)) storedEventSchema.parse(event);
    expect(make(1).map((e) => e.type)).toEqual(events.map((e) => e.type));
    const info = events.filter((e) => e.severity === 'INFO').length / events.length;
    expect(info).toBeGreaterThan(0.7);
    expect(events.filter((e) => e.severity === 'CRITICAL').length).toBeLessThan(events.length * 0.01);
  });

  it('builds a fleet of the asked size across entity kinds', () => {
    const fleet = createFleet(5000);
    expect(fleet).toHaveLength(5000);
    expect(new Set(fleet.map((e) => e.type))).toEqual(new Set(['sensor', 'container', 'robot', 'controller', 'user']));
  });
});
