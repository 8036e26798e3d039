// Event rate by severity over the window, as stacked bars in an inline SVG built from GET /stats.
const SVG = 'http://www.w3.org/2000/svg';
export const SEVERITIES = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'];
// A month's width is the mean calendar month (UTC buckets from GET /stats).
const INTERVAL_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000, month: 2_629_746_000 };
const COLOURS = { INFO: '#1d4ed8', WARNING: '#a16207', ERROR: '#b91c1c', CRITICAL: '#6b21a8' };

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function renderChart(container, stats) {
  const width = 900;
  const height = 160;
  const left = 40;
  const bottom = 18;
  const buckets = [...new Set(stats.rows.map((row) => row.bucket))].sort();
  const counts = new Map(stats.rows.map((row) => [`${row.bucket}|${row.key}`, row.count]));
  const totals = buckets.map((b) => SEVERITIES.reduce((sum, s) => sum + (counts.get(`${b}|${s}`) ?? 0), 0));
  const max = Math.max(1, ...totals);
  const total = totals.reduce((a, b) => a + b, 0);
  // Months whose events the counts leave out (in the archive only) are named, never shown as quiet.
  const missing = stats.archived?.length ? ` (not counted, archived: ${stats.archived.join(', ')})` : '';
  const label = `${total} events per ${stats.interval} by severity, ${stats.window.since} to ${stats.window.until}${missing}`;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label });
  root.append(svg('title', {}, label));
  // Bars sit at their time within the whole window, so quiet stretches show as gaps.
  const since = Date.parse(stats.window.since);
  const scale = (width - left) / Math.max(1, Date.parse(stats.window.until) - since);
  const step = INTERVAL_MS[stats.interval] * scale;
  for (const bucket of buckets) {
    const x = left + Math.max(0, Date.parse(bucket) - since) * scale;
    let y = height - bottom;
    for (const severity of SEVERITIES) {
      const count = counts.get(`${bucket}|${severity}`) ?? 0;
      if (!count) continue;
      const h = (count / max) * (height - bottom - 10);
      y -= h;
      const rect = svg('rect', {
        x,
        y,
        width: Math.max(1, step - 1),
        height: h,
        fill: COLOURS[severity],
      });
      rect.append(svg('title', {}, `${bucket} ${severity}: ${count}`));
      root.append(rect);
    }
  }
  root.append(
    svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: '#555' }),
    svg('text', { x: left - 4, y: 12, 'font-size': 11, 'text-anchor': 'end' }, String(max)),
    svg('text', { x: left, y: height - 4, 'font-size': 11 }, stats.window.since),
    svg('text', { x: width, y: height - 4, 'font-size': 11, 'text-anchor': 'end' }, stats.window.until),
  );
  const legend = document.createElement('p');
  legend.className = 'legend';
  for (const severity of SEVERITIES) {
    const item = document.createElement('span');
    item.className = `sev sev-${severity}`;
    item.textContent = `■ ${severity}`;
    legend.append(item);
  }
  container.replaceChildren(root, legend);
}
