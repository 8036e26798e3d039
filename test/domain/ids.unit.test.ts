import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../shared/core/domain/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timestampOf = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('has the version 7 and RFC 9562 variant bits', () => {
    for (let i = 0; i < 200; i++) expect(uuidv7()).toMatch(UUID_V7);
  });

  it('carries the given Unix milliseconds in its first 48 bits', () => {
    const ms = Date.parse('2026-05-31T23:30:00Z');
    expect(timestampOf(uuidv7(ms))).toBe(ms);
    expect(uuidv7(0).startsWith('00000000-0000-7')).toBe(true);
    expect(timestampOf(uuidv7(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  });

  it('defaults to the current time', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(id)).toBeLessThanOrEqual(after);
  });

  it('sorts as text in time order', () => {
    const times = [
      1_000,
      1_001,
      255,
      256,
      65_536,
      Date.parse('2000-01-01T00:00:00Z'),
      Date.parse('2026-05-10T12:00:00Z'),
    ];
    const ids = times.map((ms) => ({ ms, id: uuidv7(ms) }));
    const byText = [...ids].sort((a, b) => (a.id < b.id ? -1 : 1)).map((x) => x.ms);
    expect(byText).toEqual([...times].sort((a, b) => a - b));
  });

  it('is unique within one millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => uuidv7(1_715_342_400_000)));
    expect(ids.size).toBe(1000);
  });

  it('sorts 10,000 ids made in one millisecond strictly in the order they were made', () => {
    const ms = 1_715_342_400_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(ms));
    for (const id of ids) expect(timestampOf(id)).toBe(ms);
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!, `id ${i}`).toBe(true);
  });

  it('sorts ids made over increasing milliseconds by time, then by order made', () => {
    const start = Date.parse('2026-05-10T12:00:00Z');
    const ids = Array.from({ length: 3000 }, (_, i) => uuidv7(start + Math.floor(i / 3)));
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!, `id ${i}`).toBe(true);
    expect(ids.map(timestampOf)).toEqual(ids.map((_, i) => start + Math.floor(i / 3)));
  });
});
