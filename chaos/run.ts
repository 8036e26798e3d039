import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { createRandom } from '../bench/events.ts';
import { LOCAL_QUEUE_NAME } from '../shared/apps/local/sqs.ts';
import { queueDepth } from '../shared/apps/local/sqs-event-source.ts';
import { addMonths, monthBounds, monthOf } from '../shared/core/domain/month.ts';
import { type ArchiveFigures, archiveUnderFaults } from './archive.ts';
import { OLD_MONTH_BACK } from './events.ts';
import { type FaultFigures, injectFaults } from './faults.ts';
import { Ledger } from './ledger.ts';
import { badHttpSender, httpClient, type LoadControl, mqttDevice, topUpOldMonth } from './load.ts';
import type { ChaosOptions } from './options.ts';
import { startChaosPostgres } from './postgres.ts';
import { chaosDevice, sleep, TrailStack } from './stack.ts';
import { archiveIds, compare, deadLetterIds, type Figures, postgresIds } from './tally.ts';

export type RunFigures = Figures & FaultFigures & ArchiveFigures & Ledger['counts'] & { stack_crashes: number };

/** Share of the bad inputs sent over MQTT (the rest over HTTP, where a 5xx can be seen). */
const MQTT_BAD_SHARE = 0.1;
/** How long a request under way at the end of the load may still be retried. */
const GRACE_MS = 60_000;
/** Kept free before the deadline for the drain, the archive phase and the tally. */
const FINISH_RESERVE_MS = 30_000;

/** One run: its own PostgreSQL, stack and folders; load with faults, then drain, archive under faults, and tally. */
export async function runOnce(
  options: ChaosOptions,
  run: number,
  deadline: number,
  log: (message: string) => void,
): Promise<RunFigures> {
  const seed = options.seed * 1000 + run;
  const random = createRandom(seed);
  const folder = await mkdtemp(join(tmpdir(), 'trail-chaos-'));
  // As root, embedded PostgreSQL runs as the OS user postgres, which must be able to enter the folder.
  await chmod(folder, 0o755);
  log(`run ${run}: folder ${folder}`);
  const postgres = await startChaosPostgres(folder);
  const dataDir = join(folder, 'data');
  const stack = new TrailStack({
    trail: options.trail ?? TrailStack.defaultTrail(),
    dataDir,
    databaseUrl: postgres.ownerUrl,
    queueMb: run % 2 === 1 ? options.queueMb : undefined,
    logDir: folder,
    log,
  });
  try {
    await stack.startUntilReady(deadline);
    const ledger = new Ledger();
    const loadEnd = Math.min(Date.now() + options.seconds * 1000, deadline - FINISH_RESERVE_MS);
    const control: LoadControl = {
      endpoints: () => stack.endpoints(),
      stopping: () => Date.now() > loadEnd,
      giveUpAt: () => Math.min(loadEnd + GRACE_MS, deadline - FINISH_RESERVE_MS),
      ledger,
    };
    const mqttBad = Math.round(options.badInputs * MQTT_BAD_SHARE);
    const load = Promise.all([
      ...Array.from({ length: options.httpClients }, (_, i) => httpClient(control, i, seed * 100 + i)),
      ...Array.from({ length: options.mqttDevices }, (_, i) =>
        mqttDevice(control, chaosDevice(i), seed * 100 + 50 + i, Math.ceil(mqttBad / Math.max(1, options.mqttDevices))),
      ),
      badHttpSender(control, options.badInputs - mqttBad, seed * 100 + 99, (options.seconds * 900) / options.badInputs),
    ]);
    const faults = await injectFaults(options, {
      stack,
      postgres,
      random,
      deadline,
      log,
    });
    log(`run ${run}: load over, ${ledger.accepted.size} ids accepted so far; finishing requests under way`);
    await load;
    await drainCleanly(stack, postgres.ownerUrl, deadline, log);
    const oldRows = await oldMonthRows(postgres.ownerUrl);
    if (oldRows < ARCHIVE_MIN_ROWS) {
      const topUp = { ...control, giveUpAt: () => deadline - FINISH_RESERVE_MS };
      const posted = await topUpOldMonth(topUp, ARCHIVE_MIN_ROWS - oldRows, seed * 100 + 98);
      log(`run ${run}: the old month held ${oldRows} rows; posted ${posted} more so the export writes several files`);
      await drained(stack, postgres.ownerUrl, deadline);
    }

    const archive = await archiveUnderFaults({
      trail: options.trail ?? TrailStack.defaultTrail(),
      ownerUrl: postgres.ownerUrl,
      archiveRoot: join(dataDir, 'archive'),
      workDir: join(folder, 'archive-work'),
      kills: options.archiveKills,
      random,
      deadline,
      log,
    });
    log(`run ${run}: archive ${archive.archive_complete ? 'complete' : 'NOT complete'}; tallying`);
    const sqsUrl = stack.endpoints()?.sqsUrl;
    const deadLetters = await (sqsUrl ? deadLetterIds(sqsUrl) : Promise.reject(new Error('no SQS endpoint'))).catch(
      (error) => {
        log(`run ${run}: the DLQ could not be read (${(error as Error).message}): counted as empty`);
        return { ids: new Map<string, number>(), unreadable: 0 };
      },
    );
    const figures = compare(ledger, {
      postgres: await postgresIds(postgres.ownerUrl),
      archive: await archiveIds(join(dataDir, 'archive'), join(folder, 'archive-work')),
      deadLetters: deadLetters.ids,
      unreadableDeadLetters: deadLetters.unreadable,
    });
    for (const sample of ledger.samples) log(`run ${run}: ${sample}`);
    return { ...figures, ...faults, ...archive, ...ledger.counts, stack_crashes: stack.crashes };
  } finally {
    await stack.stop().catch(() => undefined);
    await postgres.close().catch(() => undefined);
    if (!options.keep) await rm(folder, { recursive: true, force: true });
    else log(`run ${run}: kept ${folder}`);
  }
}

/** Rows the archive phase exports: at least three Parquet files of ARCHIVE_ROWS_PER_FILE (1,000). */
const ARCHIVE_MIN_ROWS = 3_200;

async function oldMonthRows(ownerUrl: string): Promise<number> {
  const { start, end } = monthBounds(addMonths(monthOf(new Date()), -OLD_MONTH_BACK));
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM events WHERE occurred_at >= $1 AND occurred_at < $2',
      [start, end],
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/**
 * Waits for the queue to drain, then stops the stack cleanly and starts it again: messages the redrive policy moved to
 * the DLQ while PostgreSQL was down are put back on the queue from the journal, and drained in turn.
 */
async function drainCleanly(stack: TrailStack, ownerUrl: string, deadline: number, log: (m: string) => void) {
  await drained(stack, ownerUrl, deadline);
  await stack.stop();
  await stack.startUntilReady(deadline);
  await drained(stack, ownerUrl, deadline);
  log('queue drained');
}

/**
 * Queue depth 0 twice in a row. Where the depth cannot be read (a build whose SQS endpoint has other queue URLs), the
 * count of PostgreSQL rows unchanged for 5 s.
 */
async function drained(stack: TrailStack, ownerUrl: string, deadline: number): Promise<void> {
  const sqsUrl = stack.endpoints()?.sqsUrl;
  if (sqsUrl && (await queueDrained(sqsUrl, deadline).catch(() => false))) return;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    let last = -1;
    for (let still = 0; still < 5 && Date.now() < deadline; await sleep(1000)) {
      const count = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
      still = count === last ? still + 1 : 0;
      last = count;
    }
  } finally {
    await client.end();
  }
}

async function queueDrained(sqsUrl: string, deadline: number): Promise<boolean> {
  const client = new SQSClient({
    endpoint: sqsUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    let zeros = 0;
    while (zeros < 2 && Date.now() < deadline) {
      zeros = (await queueDepth(client, `${sqsUrl}/000000000000/${LOCAL_QUEUE_NAME}`)) === 0 ? zeros + 1 : 0;
      await sleep(500);
    }
    return zeros >= 2;
  } finally {
    client.destroy();
  }
}

export const machineLoad = () => loadavg().map((n) => Math.round(n * 100) / 100);
