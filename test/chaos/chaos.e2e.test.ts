import { describe, expect, it } from 'vitest';
import { failures, runChaos } from '../../chaos/main.ts';
import { SHORT } from '../../chaos/options.ts';

describe('npm run chaos, short profile', () => {
  it('through kill -9, a PostgreSQL stop, bad inputs, a failed archive write and killed exports: nothing answered 202 or acknowledged is lost or stored twice, no bad input gets a 5xx', async () => {
    const progress: string[] = [];
    const report = await runChaos({ ...SHORT, seconds: 20, maxSeconds: 150 }, (line) => progress.push(line));
    const context = `${JSON.stringify(report)}\n${progress.join('\n')}`;
    expect(failures(report), context).toEqual([]);
    expect(report, context).toMatchObject({ lost: 0, duplicated: 0, bad_inputs_5xx: 0, bad_inputs_stored: 0 });
    expect(report.accepted, context).toBeGreaterThan(1000);
    expect(report.stored, context).toBe(report.accepted);
    expect(report.kills, context).toBeGreaterThanOrEqual(2);
    expect(report.pg_restarts, context).toBe(1);
    expect(report.bad_inputs, context).toBeGreaterThanOrEqual(200);
    // The old month was archived under faults: rows moved to Parquet, once each.
    expect(report.archived_rows, context).toBeGreaterThan(1000);
    expect(report.archive_write_failures, context).toBe(1);
    expect(report.archive_kills, context).toBeGreaterThanOrEqual(1);
  }, 200_000);
});
