import { entityKey } from '../domain/entity.ts';
import type { StoredEvent } from '../domain/event.ts';
import type { CountRow, StatsRow } from '../ports/query.ts';
import { INTERVAL_MS, type Interval } from './filter.ts';
import { html, type SafeHtml } from './html.ts';
import type { Window } from './read.ts';
import { SEVERITY_COLOURS, severityChartSvg } from './svg-chart.ts';

/** Everything the report shows, gathered by buildReport (report.ts). */
export interface ReportData {
  title: string;
  generatedAt: string;
  generatedBy: string;
  window: Window;
  filters: Record<string, string>;
  total: number;
  bySeverity: CountRow[];
  byType: CountRow[];
  topEntities: CountRow[];
  topActors: CountRow[];
  interval: Interval;
  series: StatsRow[];
  critical: StoredEvent[];
  criticalTotal: number;
  /**
   * Months of the window whose raw rows are archived (`YYYY-MM`): the totals, tables and CRITICAL list read raw rows,
   * so they leave those months' events out; the chart counts them from the rollups.
   */
  archivedMonths: string[];
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e5e5e5;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem;align-items:start}
.meta{color:#444}pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:.5rem;margin:.25rem 0}
.sev{font-weight:600}article{border:1px solid #ddd;padding:.5rem 1rem;margin:.75rem 0;break-inside:avoid}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}}`;

function countTable(caption: string, heading: string, rows: readonly CountRow[]): SafeHtml {
  const body = rows.map((row) => html`<tr><td>${row.key}</td><td class="n">${row.count}</td></tr>`);
  return html`<table><caption class="meta">${caption}</caption><thead><tr><th scope="col">${heading}</th><th scope="col" class="n">events</th></tr></thead><tbody>${body.length ? body : [html`<tr><td colspan="2">none</td></tr>`]}</tbody></table>`;
}

function criticalEvent(event: StoredEvent): SafeHtml {
  const related = event.related.map(entityKey).join(', ') || 'none';
  return html`<article>
<h3>${event.type} — ${entityKey(event.entity)}</h3>
<dl>
<dt>occurred</dt><dd>${event.occurredAt} (received ${event.receivedAt})</dd>
<dt>actor</dt><dd>${event.actor.type}:${event.actor.id} via ${event.source.channel} (${event.source.principal})</dd>
<dt>related</dt><dd>${related}</dd>
<dt>id</dt><dd>${event.id}${event.traceId ? ` · trace ${event.traceId}` : ''}${event.causationId ? ` · caused by ${event.causationId}` : ''}</dd>
</dl>
<pre>${JSON.stringify(event.payload, null, 2)}</pre>
</article>`;
}

/** The report as one self-contained, printable page. Every value from the store or the request is escaped. */
export function renderReportHtml(data: ReportData): string {
  const filterItems = Object.entries(data.filters).map(([key, value]) => html`<li><code>${key}</code> = ${value}</li>`);
  const severityRows = data.bySeverity.map(
    (row) =>
      html`<tr><td class="sev" style="color:${SEVERITY_COLOURS[row.key] ?? '#111'}">${row.key}</td><td class="n">${row.count}</td></tr>`,
  );
  const more = data.criticalTotal - data.critical.length;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${data.title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body>
<header><h1>${data.title}</h1>
<p class="meta">Window ${data.window.since} – ${data.window.until} (UTC) · generated ${data.generatedAt} by ${data.generatedBy}</p></header>
<section><h2>Filters</h2>${filterItems.length ? html`<ul>${filterItems}</ul>` : html`<p>none: every event in the window</p>`}</section>
${
  data.archivedMonths.length
    ? html`<p class="archived"><strong>Archived months in this window: ${data.archivedMonths.join(', ')}.</strong> Their events are not in the totals, tables and CRITICAL list below (those read PostgreSQL's rows); the chart counts them from the rollups. Query the archive for them (<code>trail archive named</code>).</p>`
    : ''
}
<section><h2>Totals</h2><p><strong>${data.total}</strong> events.</p>
<div class="grid">
<table><caption class="meta">by severity</caption><thead><tr><th scope="col">severity</th><th scope="col" class="n">events</th></tr></thead><tbody>${severityRows}</tbody></table>
${countTable('by type', 'type', data.byType)}
</div></section>
<section><h2>Events per ${data.interval} by severity</h2>${severityChartSvg(data.series, { ...data.window, intervalMs: INTERVAL_MS[data.interval] }, `Events per ${data.interval} by severity`)}</section>
<section class="grid"><div><h2>Top entities</h2>${countTable('most events', 'entity', data.topEntities)}</div>
<div><h2>Top actors</h2>${countTable('most events', 'actor', data.topActors)}</div></section>
<section><h2>CRITICAL events (${data.criticalTotal})</h2>
${data.critical.length ? data.critical.map(criticalEvent) : [html`<p>none</p>`]}
${more > 0 ? html`<p>${more} more CRITICAL events are not listed: narrow the window to see them.</p>` : ''}
</section>
</body></html>
`;
  return page.markup;
}
