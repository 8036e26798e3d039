import { recordOrRefuse } from './access-auditor.ts';
import type { Interval } from './filter.ts';
import { reportQuerySchema } from './params.ts';
import {
  accessOf,
  countOverTime,
  type Outcome,
  type ReadDeps,
  type ReadRequest,
  readerFilter,
  windowOf,
} from './read.ts';
import { type ReportData, renderReportHtml } from './report-html.ts';
import { archivedMonthsOf } from './rollups.ts';

/** CRITICAL events shown in full; more are counted, not listed. */
export const REPORT_CRITICAL_LIMIT = 200;
const TOP = 10;

/** A bucket size that gives a readable chart: minutes for hours, hours for days, days beyond two weeks. */
export function chartInterval(window: { since: Date; until: Date }): Interval {
  const hours = (window.until.getTime() - window.since.getTime()) / 3_600_000;
  return hours <= 6 ? 'minute' : hours <= 14 * 24 ? 'hour' : 'day';
}

/** GET /reports: the figures of an audit report over the filters, rendered as one printable HTML page. */
export async function buildReport(deps: ReadDeps, request: ReadRequest): Promise<Outcome<{ html: string }>> {
  const now = deps.clock();
  const resolved = readerFilter(reportQuerySchema, request, now);
  if (!resolved.ok) return resolved;
  const { params, filter } = resolved.value;
  const { title, ...filters } = params;
  const interval = chartInterval(filter);
  const critical = { ...filter, minSeverity: 'CRITICAL' as const };
  // Read once: it plans the chart's counts (as GET /stats plans them) and names the archived months.
  const coverage = await deps.store.statsCoverage();
  const [bySeverity, byType, topEntities, topActors, series, criticalPage, criticalCount] = await Promise.all([
    deps.store.totals(filter, 'severity', 4),
    deps.store.totals(filter, 'type', 100),
    deps.store.totals(filter, 'entity', TOP),
    deps.store.totals(filter, 'actor', TOP),
    countOverTime(deps.store, filter, { interval, groupBy: 'severity', maxRows: 10_000 }, coverage).then((s) => s.rows),
    deps.store.page(critical, { order: 'desc', limit: REPORT_CRITICAL_LIMIT }),
    deps.store.totals(critical, 'severity', 1),
  ]);
  const total = bySeverity.reduce((sum, row) => sum + row.count, 0);
  await recordOrRefuse(() => deps.audit.record(accessOf(request, total)));
  const data: ReportData = {
    title: title ?? 'Audit report',
    generatedAt: now.toISOString(),
    generatedBy: request.principal.user,
    window: windowOf(filter),
    filters: Object.fromEntries(Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string')),
    total,
    bySeverity,
    byType,
    topEntities,
    topActors,
    interval,
    series,
    critical: criticalPage.events,
    criticalTotal: criticalCount[0]?.count ?? 0,
    archivedMonths: archivedMonthsOf(filter, coverage),
  };
  return { ok: true, value: { html: renderReportHtml(data) } };
}
