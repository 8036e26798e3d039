import { describe, expect, it } from 'vitest';
import { PART_NAMES, parseBenchArgs } from '../../bench/args.ts';

describe('parseBenchArgs', () => {
  it('defaults to the full scale with every part', () => {
    const options = parseBenchArgs([]);
    expect(options).toMatchObject({ quick: false, rows: 2_000_000, batchEvents: 100, parts: [...PART_NAMES] });
  });

  it('--quick shrinks every scale', () => {
    const full = parseBenchArgs([]);
    const quick = parseBenchArgs(['--quick']);
    expect(quick.quick).toBe(true);
    expect(quick.rows).toBeLessThan(full.rows);
    expect(quick.writerEvents).toBeLessThan(full.writerEvents);
    expect(quick.e2eEvents).toBeLessThan(full.e2eEvents);
    expect(quick.archiveRows).toBeLessThan(full.archiveRows);
    expect(quick.maintenanceRowsPerMonth).toBeLessThan(full.maintenanceRowsPerMonth);
    expect(quick.sealEvents).toBeLessThan(full.sealEvents);
    expect(quick.verifyRows).toBeLessThan(full.verifyRows);
    expect(quick.maxSecondsPerLoop).toBeLessThan(full.maxSecondsPerLoop);
  });

  it('takes numbers with or without digit separators, and flags override --quick', () => {
    expect(parseBenchArgs(['--rows', '10_000_000']).rows).toBe(10_000_000);
    expect(
      parseBenchArgs(['--quick', '--archive-rows', '1_000_000', '--maintenance-rows', '5000', '--seal-events', '2000']),
    ).toMatchObject({
      archiveRows: 1_000_000,
      maintenanceRowsPerMonth: 5000,
      sealEvents: 2000,
    });
    expect(parseBenchArgs(['--quick', '--rows=5000', '--batch-events', '20'])).toMatchObject({
      rows: 5000,
      batchEvents: 20,
    });
  });

  it('loads with COPY up to 10M rows and inside PostgreSQL above, unless --load says which', () => {
    expect(parseBenchArgs([]).load).toBe('copy');
    expect(parseBenchArgs(['--rows', '10000000']).load).toBe('copy');
    expect(parseBenchArgs(['--rows', '100000000']).load).toBe('in-database');
    expect(parseBenchArgs(['--rows', '100000000', '--load', 'copy']).load).toBe('copy');
    expect(parseBenchArgs(['--load', 'in-database']).load).toBe('in-database');
    expect(() => parseBenchArgs(['--load', 'sql'])).toThrow('--load must be copy or in-database, got "sql"');
  });

  it('keeps the run order of parts whatever order they are named in', () => {
    expect(parseBenchArgs(['--parts', 'queries, writer']).parts).toEqual(['writer', 'queries']);
  });

  it('refuses what it does not understand, saying which flag', () => {
    expect(() => parseBenchArgs(['--rows', '0'])).toThrow('--rows must be a positive integer, got "0"');
    expect(() => parseBenchArgs(['--samples', 'many'])).toThrow('--samples');
    expect(() => parseBenchArgs(['--parts', 'writer,vacuum'])).toThrow('unknown part "vacuum"');
    expect(() => parseBenchArgs(['--parts', ','])).toThrow('at least one part');
    expect(() => parseBenchArgs(['--fast'])).toThrow();
    expect(() => parseBenchArgs(['quick'])).toThrow('unexpected argument "quick"');
  });
});
