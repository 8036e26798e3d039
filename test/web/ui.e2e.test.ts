import { mkdir, readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { launchBrowser } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';

const TOKEN = 'ui-admin-token';
const OPERATOR_TOKEN = 'ui-operator-token';

let db: TestDatabase;
let stack: LocalStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const CAUSE_ID = '0195519a-0000-7000-8000-0000000000c1';

async function seed() {
  const events = [
    {
      type: 'robot.config.pushed',
      id: CAUSE_ID,
      occurredAt: minutesAgo(290),
      entity: { type: 'robot', id: 'ui-1' },
      payload: { version: '2.1' },
    },
    {
      type: 'robot.firmware.applied',
      occurredAt: minutesAgo(230),
      entity: { type: 'robot', id: 'ui-1' },
      causationId: CAUSE_ID,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      payload: { version: '2.1.0' },
    },
    {
      type: 'container.moved',
      occurredAt: minutesAgo(170),
      entity: { type: 'container', id: 'c-ui' },
      related: [{ type: 'robot', id: 'ui-1' }],
      payload: { toBay: 'B-2' },
    },
    {
      type: 'controller.protocol.error',
      severity: 'CRITICAL',
      occurredAt: minutesAgo(110),
      entity: { type: 'controller', id: 'plc-ui' },
      payload: { protocol: 'modbus', error: 'bus fault' },
    },
    {
      type: 'sensor.battery.low',
      occurredAt: minutesAgo(50),
      entity: { type: 'sensor', id: 's-ui' },
      payload: { level: 7 },
    },
  ];
  const response = await fetch(`${stack.httpUrl}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(202);
  // The writer drains the queue asynchronously: wait until every seeded event is stored.
  const deadline = Date.now() + 15_000;
  while ((await db.pool.query("SELECT 1 FROM events WHERE type NOT LIKE 'audit.%'")).rowCount! < events.length) {
    if (Date.now() > deadline) throw new Error('seeded events were not stored in time');
    await stack.drain(1000);
  }
}

beforeAll(async () => {
  db = await createTestDatabase('web_ui');
  stack = await startTestStack(db.url, `${TOKEN}=uma:admin,${OPERATOR_TOKEN}=otto:operator`);
  await seed();
  browser = await launchBrowser();
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await db?.drop();
});

/** Table rows, leaving out the audit.* records that the browser's own requests add (an admin sees those). */
const rows = () => page.locator('#rows tr').filter({ hasNotText: /audit\./ });

describe('the audit browser', () => {
  it('signs in with a token and lists the last 24 hours, with the rate chart', async () => {
    await page.goto(`${stack.httpUrl}/`);
    await page.getByLabel('Bearer token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => rows().count()).toBe(5);
    await expect.poll(() => page.locator('#chart svg rect').count()).toBeGreaterThan(0);
    expect(await page.locator('#rows .sev-CRITICAL').count()).toBe(1);
    // Signed in: Sign out instead of the token field and Sign in.
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(false);
    expect(await page.getByLabel('Bearer token').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
  });

  it("hides the viewer's own reads (audit.accessed) by default, and shows them when asked", async () => {
    // The first screen's own reads are recorded by now: reload, and they stay hidden.
    await stack.drain(5000);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(5);
    expect(await page.locator('#rows').textContent()).not.toContain('audit.accessed');
    await page.getByLabel('Hide my own reads').uncheck();
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#rows').textContent()).toContain('audit.accessed');
    await page.getByLabel('Hide my own reads').check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(5);
  });

  it('filters', async () => {
    await page.getByLabel('Type').fill('robot.*');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows().count()).toBe(2);
    await page.getByLabel('Type').fill('');
    await page.getByLabel('At least').selectOption('CRITICAL');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows().allTextContents()).toEqual([expect.stringContaining('controller.protocol.error')]);
    await page.getByLabel('At least').selectOption('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows().count()).toBe(5);
  });

  it("drills into an entity's history, related events included, and an event's causation chain", async () => {
    await page.locator('#rows').getByRole('button', { name: 'container:c-ui' }).click();
    await expect.poll(() => page.locator('#events-title').textContent()).toBe('Events of container:c-ui');
    await page.getByRole('button', { name: 'Back to all events' }).click();
    await page.locator('#rows').getByRole('button', { name: 'robot:ui-1' }).first().click();
    await expect.poll(() => rows().count()).toBe(3);

    await page.getByRole('button', { name: /Open event robot\.firmware\.applied/ }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.locator('pre').textContent()).toContain('"version": "2.1.0"');
    await expect
      .poll(() => dialog.getByRole('list', { name: 'Causation chain' }).textContent())
      .toContain('robot.config.pushed');
    expect(await dialog.textContent()).toContain('0af7651916cd43dd8448eb211c80319c');
    await page.keyboard.press('Escape');
  });

  it("lists an event's related entities as buttons, not as [object HTMLButtonElement]", async () => {
    await page.getByRole('button', { name: /Open event container\.moved/ }).click();
    const dialog = page.getByRole('dialog');
    const related = dialog.locator('dt', { hasText: 'related' }).locator('xpath=following-sibling::dd[1]');
    await expect.poll(() => related.textContent()).toBe('robot:ui-1 ');
    expect(await related.getByRole('button', { name: 'robot:ui-1' }).count()).toBe(1);
    await page.keyboard.press('Escape');
  });

  it('saves the current filters as a view and picks it again', async () => {
    await page.getByLabel('Save filters as').fill('Robot ui-1');
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Saved view "Robot ui-1".');
    await page.getByRole('button', { name: 'Back to all events' }).click();
    await expect.poll(() => rows().count()).toBe(5);
    await page.getByLabel('View', { exact: true }).selectOption({ label: 'Robot ui-1' });
    await expect.poll(() => page.getByLabel('Entity').inputValue()).toBe('robot:ui-1');
    await expect.poll(() => rows().count()).toBe(3);
    await page.getByLabel('View', { exact: true }).selectOption({ label: 'Last 24 h CRITICAL (built in)' });
    await expect.poll(() => rows().count()).toBe(1);
  });

  it('exports the current list as CSV', async () => {
    await page.getByLabel('View', { exact: true }).selectOption({ label: 'Robot ui-1' });
    await expect.poll(() => rows().count()).toBe(3);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-robot_ui-1-\d{8}T\d{4}Z-\d{8}T\d{4}Z\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(csv).toMatch(/^occurredAt,receivedAt,id,type/);
  });

  it("the HTML report's severity table keeps its rows' height beside the longer table of types", async () => {
    const response = await fetch(`${stack.httpUrl}/reports?since=24h`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    const report = await browser.newPage();
    await report.setContent(await response.text());
    const heights = (caption: string) =>
      report
        .locator('table', { has: report.locator('caption', { hasText: caption }) })
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
    const [bySeverity, byType] = [await heights('by severity'), await heights('by type')];
    expect(byType.length).toBeGreaterThan(bySeverity.length);
    expect(Math.max(...bySeverity)).toBeLessThanOrEqual(Math.max(...byType) + 1);
    await report.close();
  });

  it('shows the operations view: queue, dead letters, writer, partitions, the last jobs, sink lag (screenshot)', async () => {
    await stack.sealNow();
    await page.getByRole('button', { name: 'Operations' }).click();
    const tile = (name: string) => page.getByRole('region', { name, exact: true });
    await expect.poll(() => tile('Queue depth').locator('.value').textContent()).toMatch(/^\d+$/);
    expect(await tile('Dead letters').locator('.value').textContent()).toBe('0');
    expect(await tile('Partitions').textContent()).toContain(new Date().toISOString().slice(0, 7));
    await expect.poll(() => tile('Last seal').locator('.value').textContent()).toMatch(/^checkpoint \d+$/);
    await expect.poll(() => tile('Last maintenance').locator('.value').textContent()).toBe('done');
    expect(await tile('Sink lag').locator('.value').textContent()).toBe('no sinks configured');
    expect(await page.locator('#filters').isVisible()).toBe(false);
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/operations.png', fullPage: true });
    await page.getByRole('button', { name: 'Events' }).click();
    expect(await page.locator('#filters').isVisible()).toBe(true);
  });

  it("shows an operator the floor's events without user.* and audit.* (the screenshot)", async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').fill(OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(5);
    expect(await page.locator('#rows').textContent()).not.toContain('audit.accessed');
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/ui.png', fullPage: true });
  });
});
