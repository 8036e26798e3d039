import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { addMonths, monthBounds, monthOf } from '../../shared/core/domain/month.ts';
import { insertEvents } from '../lifecycle/fixture.ts';
import { launchBrowser } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { startTestStack } from '../support/local-stack.ts';

/** Issue 14: the entity page shows PostgreSQL's rows and then the archive's as one list, the archive's marked. */
const TOKEN = 'ui-archive-token';
let db: TestDatabase;
let stack: LocalStack & { dataDir: string };
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  db = await createTestDatabase('web_archive_history');
  stack = await startTestStack(db.url, `${TOKEN}=uma:admin`);
  const old = monthBounds(addMonths(monthOf(new Date()), -20)).start.getTime();
  const at = (ms: number) => new Date(ms).toISOString();
  await insertEvents(db.pool, [
    eventAbout('robot:arc-1', { occurredAt: at(Date.now() - 3_600_000), type: 'robot.online' }),
    ...[1, 2, 3].map((day) =>
      eventAbout('robot:arc-1', { occurredAt: at(old + day * 86_400_000), type: 'robot.offline' }),
    ),
  ]);
  const archived = await runMaintenance(
    { pool: db.pool, store: new FileObjectStore(join(stack.dataDir, 'archive')) },
    { now: new Date(), retentionMonths: 13, premakeMonths: 0, workDir: join(stack.dataDir, 'work') },
  );
  expect(archived.archived.map((a) => a.rows)).toContain(3);
  browser = await launchBrowser();
  ({ page } = browser);
}, 120_000);

afterAll(async () => {
  await Promise.all([browser?.close(), stack?.stop()]);
  await db?.drop();
});

it("continues an entity's history into the archive in the same list, each archived row marked", async () => {
  await page.goto(`${stack.httpUrl}/`);
  await page.getByLabel('Bearer token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#rows').getByRole('button', { name: 'robot:arc-1' }).first().click();
  await expect.poll(() => page.locator('#events-title').textContent()).toBe('Events of robot:arc-1');
  const rows = page.locator('#rows tr');
  await expect.poll(() => rows.count()).toBe(1);
  const older = page.getByRole('button', { name: 'Older events (archive)' });
  await expect.poll(() => older.isEnabled()).toBe(true);
  await older.click();
  await expect.poll(() => rows.count()).toBe(4);
  expect(await rows.locator('.stored-archive').count()).toBe(3);
  expect(await rows.first().textContent()).toContain('robot.online');
  await expect.poll(() => page.locator('#page-info').textContent()).toBe('4 events, newest first · 3 from the archive');
  expect(await page.locator('#archive-loading').isHidden()).toBe(true);
  await expect.poll(() => page.getByRole('button', { name: 'Older events' }).isDisabled()).toBe(true);
});
