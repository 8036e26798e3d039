import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { MAINTENANCE_METRICS } from '../../shared/core/contracts/metrics.ts';
import { describeMaintenance, recordMaintenanceMetrics } from '../../shared/core/lifecycle/report.ts';
import { emptyMaintenanceResult, type MaintenanceResult } from '../../shared/core/lifecycle/result.ts';

/** The metrics a run records, by name. */
function recorded(result: MaintenanceResult): Record<string, number> {
  const values: Record<string, number> = {};
  const metrics = { addMetric: (name: string, _unit: string, value: number) => (values[name] = value) };
  recordMaintenanceMetrics(metrics as unknown as Metrics, result);
  return values;
}

describe('a maintenance run reports its Security Lake derivations', () => {
  const run = (): MaintenanceResult => ({
    ...emptyMaintenanceResult(new Date('2025-03-15T08:00:00Z')),
    securityLake: {
      destination: 's3://aws-security-data-lake-eu-west-1-abc/',
      derived: [{ month: '2024-01', generation: 1, objects: 4, rows: 120, ms: 900 }],
      failed: [{ month: '2024-02', generation: 1, error: 'AccessDenied' }],
      waiting: 0,
    },
  });

  it('counts derived months and failures as metrics, the run itself still done', () => {
    const values = recorded(run());
    expect(values[MAINTENANCE_METRICS.lakeExports]).toBe(1);
    expect(values[MAINTENANCE_METRICS.lakeExportFailures]).toBe(1);
    expect(values[MAINTENANCE_METRICS.failures]).toBe(0);
  });

  it('emits neither metric without a lake configured', () => {
    const values = recorded(emptyMaintenanceResult(new Date()));
    expect(Object.keys(values)).not.toContain(MAINTENANCE_METRICS.lakeExports);
    expect(Object.keys(values)).not.toContain(MAINTENANCE_METRICS.lakeExportFailures);
  });

  it('says what was derived and what failed, with the retry', () => {
    expect(describeMaintenance({ ...run(), securityLake: { ...run().securityLake!, waiting: 2 } })).toEqual([
      'maintenance as of 2025-03-15T08:00:00.000Z: done in 0 ms',
      'security lake: 2024-01 generation 1, 120 rows in 4 objects (900 ms)',
      'security lake: 2024-02 generation 1 failed, retried next run: AccessDenied',
      'security lake: 2 months wait for the next run (out of time)',
    ]);
  });
});
