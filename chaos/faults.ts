import pg from 'pg';
import type { Random } from '../bench/events.ts';
import { LOGIN_USERS } from '../shared/core/contracts/database-users.ts';
import type { ChaosPostgres } from './postgres.ts';
import { sleep, type TrailStack } from './stack.ts';

export interface FaultPlan {
  seconds: number;
  kills: number;
  pgStops: number;
  pgStopSeconds: [number, number];
  slowWriterSeconds: number;
}

export interface FaultFigures {
  kills: number;
  pg_restarts: number;
  slow_writer_periods: number;
}

type Fault = { at: number; kind: 'kill' | 'pg-stop' | 'slow-writer' };

/**
 * Injects the plan's faults at random moments of the load (between 5% and 90% of it): kill -9 of the stack (started
 * again at once, and killed again if the next kill comes while it is still starting or replaying its journal),
 * PostgreSQL stops (the stack cannot start while it is down, and its writer stalls), and a period where the writer
 * may not INSERT. Resolves once every fault is over: the stack is up and PostgreSQL runs.
 */
export async function injectFaults(
  plan: FaultPlan,
  deps: { stack: TrailStack; postgres: ChaosPostgres; random: Random; deadline: number; log: (m: string) => void },
): Promise<FaultFigures> {
  const { stack, postgres, random, log } = deps;
  const figures: FaultFigures = { kills: 0, pg_restarts: 0, slow_writer_periods: 0 };
  const at = () => (0.05 + 0.85 * random()) * plan.seconds * 1000;
  const faults: Fault[] = [
    ...Array.from({ length: plan.kills }, () => ({ at: at(), kind: 'kill' as const })),
    ...Array.from({ length: plan.pgStops }, () => ({ at: at(), kind: 'pg-stop' as const })),
    ...(plan.slowWriterSeconds > 0 ? [{ at: at(), kind: 'slow-writer' as const }] : []),
  ].sort((a, b) => a.at - b.at);
  const started = Date.now();
  let restarting: Promise<unknown> | undefined;
  let postgresWork: Promise<void> = Promise.resolve();
  let writerWork: Promise<void> = Promise.resolve();
  const restart = () => {
    restarting ??= stack
      .startUntilReady(deps.deadline)
      .catch((error) => log(`restart failed: ${(error as Error).message}`))
      .finally(() => {
        restarting = undefined;
      });
  };
  for (const fault of faults) {
    await sleep(Math.max(0, started + fault.at - Date.now()));
    if (Date.now() > deps.deadline) break;
    if (fault.kind === 'kill') {
      // Between two attempts to start (PostgreSQL down), wait for the next attempt: each planned kill kills a process.
      for (const until = Date.now() + 5000; !stack.running() && Date.now() < until; ) await sleep(50);
      const wasReady = stack.endpoints() !== undefined;
      if (await stack.kill()) {
        figures.kills += 1;
        log(`kill -9 #${figures.kills} at ${secondsSince(started)} s (${wasReady ? 'serving' : 'starting'})`);
      }
      restart();
    } else if (fault.kind === 'pg-stop') {
      const [min, max] = plan.pgStopSeconds;
      const seconds = min + Math.floor(random() * (max - min + 1));
      postgresWork = postgresWork.then(async () => {
        log(`PostgreSQL stopped for ${seconds} s at ${secondsSince(started)} s`);
        await postgres.stop();
        await sleep(seconds * 1000);
        await postgres.start();
        figures.pg_restarts += 1;
        log(`PostgreSQL started again at ${secondsSince(started)} s`);
      });
    } else {
      writerWork = writerWork.then(async () => {
        await postgresWork;
        log(`the writer may not INSERT for ${plan.slowWriterSeconds} s (from ${secondsSince(started)} s)`);
        await setWriterInsert(postgres.ownerUrl, false);
        await sleep(plan.slowWriterSeconds * 1000);
        await postgresWork;
        await setWriterInsert(postgres.ownerUrl, true);
        figures.slow_writer_periods += 1;
      });
    }
  }
  await sleep(Math.max(0, started + plan.seconds * 1000 - Date.now()));
  await postgresWork;
  await writerWork;
  while (restarting) await restarting;
  if (!stack.endpoints()) await stack.startUntilReady(deps.deadline);
  return figures;
}

/** A slow consumer: the owner takes INSERT on events from the writer's login user, and gives it back. */
async function setWriterInsert(ownerUrl: string, allowed: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const user = pg.escapeIdentifier(LOGIN_USERS.writer);
    await client.query(allowed ? `GRANT INSERT ON events TO ${user}` : `REVOKE INSERT ON events FROM ${user}`);
  } finally {
    await client.end();
  }
}

const secondsSince = (start: number) => ((Date.now() - start) / 1000).toFixed(1);
