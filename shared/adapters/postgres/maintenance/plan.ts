import { type MaintenancePlan, planMaintenance } from '../../../core/lifecycle/plan.ts';
import type { Queryable } from '../partitions.ts';
import { unfinishedMonths } from './archive-state.ts';
import { listMonthTables } from './partition-ddl.ts';

/** What `runMaintenance` would do now: read from the catalog and the archive's recorded steps, nothing written. */
export async function readMaintenancePlan(
  db: Queryable,
  options: { now: Date; premakeMonths: number; retentionMonths: number },
): Promise<MaintenancePlan> {
  const attached = (await listMonthTables(db)).filter((table) => table.attached).map((table) => table.month);
  return planMaintenance({ attached, unfinished: await unfinishedMonths(db) }, options);
}
