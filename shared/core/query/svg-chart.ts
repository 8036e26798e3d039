import { SEVERITIES } from '../domain/severity.ts';
import type { StatsRow } from '../ports/query.ts';
import { html, type SafeHtml } from './html.ts';

/** Severity colours shared by the report and the web UI; each has at least 4.5:1 contrast on white. */
export const SEVERITY_COLOURS: Record<string, string> = {
  INFO: '#1d4ed8',
  WARNING: '#a16207',
  ERROR: '#b91c1c',
  CRITICAL: '#6b21a8',
};

const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 40;
const BOTTOM = 20;

/** Events per bucket as bars stacked by severity, as an inline SVG (no script, prints as is). */
export function severityChartSvg(
  rows: readonly StatsRow[],
  window: { since: string; until: string; intervalMs: number },
  caption: string,
): SafeHtml {
  const buckets = [...new Set(rows.map((row) => row.bucket))].sort();
  const counts = new Map(rows.map((row) => [`${row.bucket}|${row.key}`, row.count]));
  const totals = buckets.map((bucket) => SEVERITIES.reduce((sum, s) => sum + (counts.get(`${bucket}|${s}`) ?? 0), 0));
  const max = Math.max(1, ...totals);
  const plotHeight = HEIGHT - BOTTOM;
  // Bars sit at their time within the whole window, so quiet stretches show as gaps.
  const since = Date.parse(window.since);
  const scale = (WIDTH - LEFT) / Math.max(1, Date.parse(window.until) - since);
  const step = window.intervalMs * scale;
  const bars: SafeHtml[] = [];
  for (const bucket of buckets) {
    const x = LEFT + Math.max(0, Date.parse(bucket) - since) * scale;
    let y = plotHeight;
    for (const severity of SEVERITIES) {
      const count = counts.get(`${bucket}|${severity}`) ?? 0;
      if (count === 0) continue;
      const height = (count / max) * (plotHeight - 10);
      y -= height;
      bars.push(
        html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, step - 1).toFixed(1)}" height="${height.toFixed(1)}" fill="${SEVERITY_COLOURS[severity]!}"><title>${bucket} ${severity}: ${count}</title></rect>`,
      );
    }
  }
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${caption}">
<title>${caption}</title>
<line x1="${LEFT}" y1="${plotHeight}" x2="${WIDTH}" y2="${plotHeight}" stroke="#555"/>
<text x="${LEFT - 4}" y="14" font-size="11" text-anchor="end">${max}</text>
<text x="${LEFT - 4}" y="${plotHeight}" font-size="11" text-anchor="end">0</text>
${bars}
<text x="${LEFT}" y="${HEIGHT - 4}" font-size="11">${window.since}</text>
<text x="${WIDTH}" y="${HEIGHT - 4}" font-size="11" text-anchor="end">${window.until}</text>
</svg>`;
}
