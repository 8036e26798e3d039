import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../shared/core/query/html.ts';
import { type ReportData, renderReportHtml } from '../../shared/core/query/report-html.ts';
import { severityChartSvg } from '../../shared/core/query/svg-chart.ts';
import { storedEvent } from '../support/events.ts';

const XSS = `<script>alert("x")</script>' onload='x' &amp;`;

function report(overrides: Partial<ReportData> = {}): ReportData {
  return {
    title: XSS,
    generatedAt: '2026-05-10T12:00:00.000Z',
    generatedBy: XSS,
    window: { since: '2026-05-03T00:00:00.000Z', until: '2026-05-10T00:00:00.000Z' },
    filters: { [XSS]: XSS },
    total: 3,
    bySeverity: [{ key: XSS, count: 3 }],
    byType: [{ key: XSS, count: 3 }],
    topEntities: [{ key: XSS, count: 3 }],
    topActors: [{ key: XSS, count: 3 }],
    interval: 'hour',
    series: [{ bucket: XSS, key: 'CRITICAL', count: 3 }],
    critical: [
      storedEvent({
        severity: 'CRITICAL',
        entity: { type: 'robot', id: '<img/src=x>' },
        source: { channel: 'http', principal: XSS },
        payload: { [XSS]: XSS },
      }),
    ],
    criticalTotal: 5,
    archivedMonths: [],
    ...overrides,
  };
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('escapes interpolations of the html template but not nested html', () => {
    expect(html`<p>${'<b>'}${html`<i>ok</i>`}${[html`<br>`]}</p>`.markup).toBe('<p>&lt;b&gt;<i>ok</i><br></p>');
  });
});

describe('the HTML report', () => {
  const page = renderReportHtml(report());

  it('says which months of its window are archived, and that its totals leave them out (its chart does not)', () => {
    expect(page).not.toContain('Archived months');
    const archived = renderReportHtml(report({ archivedMonths: ['2026-03', '2026-04'] }));
    expect(archived).toContain('Archived months in this window: 2026-03, 2026-04.');
    expect(archived).toMatch(/not in the totals, tables and CRITICAL list/);
  });

  it('escapes every value that comes from events or the request', () => {
    expect(page).not.toContain('<script');
    expect(page).not.toContain("' onload='");
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&#39; &amp;amp;');
  });

  it('is self-contained and printable: inline style and SVG, no scripts or external resources', () => {
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('@media print');
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<(script|link|iframe)\b/);
    expect(page).not.toMatch(/\s(src|href)=/);
  });

  it('says when CRITICAL events were left out', () => {
    expect(page).toContain('CRITICAL events (5)');
    expect(page).toContain('4 more CRITICAL events are not listed');
  });
});

describe('the severity chart', () => {
  it('stacks one bar per severity and bucket, with accessible titles', () => {
    const svg = severityChartSvg(
      [
        { bucket: '2026-05-09T10:00:00.000Z', key: 'INFO', count: 2 },
        { bucket: '2026-05-09T10:00:00.000Z', key: 'ERROR', count: 1 },
        { bucket: '2026-05-09T11:00:00.000Z', key: 'INFO', count: 4 },
      ],
      { since: '2026-05-09T00:00:00.000Z', until: '2026-05-10T00:00:00.000Z', intervalMs: 3_600_000 },
      'Events per hour',
    ).markup;
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('role="img" aria-label="Events per hour"');
    expect(svg).toContain('<title>2026-05-09T10:00:00.000Z ERROR: 1</title>');
  });
});
