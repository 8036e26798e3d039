import { readdir, readFile } from 'node:fs/promises';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { runningWorkers } from '../shared/apps/local/worker.ts';

/** Linux's clock ticks per second for /proc/<pid>/stat's utime and stime (USER_HZ, 100 on every common kernel). */
const TICKS_PER_S = 100;

export interface ThreadShare {
  thread: string;
  /** Time its event loop was not waiting for I/O (running, or ready but preempted), in ms and % of the window. */
  busyMs: number;
  busyPercent: number;
}

export interface TimeSplit {
  windowMs: number;
  /** CPU of this process, every thread (process.cpuUsage). */
  processCpuMs: number;
  /** CPU of every process named postgres this user can read in /proc (the bench's server, when it is local). */
  postgresCpuMs: number | null;
  threads: ThreadShare[];
}

/**
 * Where the 2 cores' time goes during the load: the busy time of the main thread and of each worker thread (event
 * loop utilization), the process's CPU, and PostgreSQL's. Start before the load; the returned function ends it.
 */
export async function splitTime(): Promise<() => Promise<TimeSplit>> {
  const startedAt = performance.now();
  const cpu = process.cpuUsage();
  const postgres = await postgresCpuMs();
  const main = performance.eventLoopUtilization();
  const workers = runningWorkers().map(({ module, worker }) => ({
    module,
    worker,
    start: worker.performance.eventLoopUtilization(),
  }));
  return async () => {
    const windowMs = performance.now() - startedAt;
    const used = process.cpuUsage(cpu);
    const postgresEnd = await postgresCpuMs();
    const share = (thread: string, elu: EventLoopUtilization): ThreadShare => ({
      thread,
      busyMs: Math.round(elu.active),
      busyPercent: Math.round((1000 * elu.active) / windowMs) / 10,
    });
    return {
      windowMs: Math.round(windowMs),
      processCpuMs: Math.round((used.user + used.system) / 1000),
      postgresCpuMs: postgres === null || postgresEnd === null ? null : postgresEnd - postgres,
      threads: [
        share('main (API, broker, handlers, writer)', performance.eventLoopUtilization(main)),
        ...workers.map(({ module, worker, start }) =>
          share(module.replace(/^\.\/|-thread\.ts$/g, ''), worker.performance.eventLoopUtilization(start)),
        ),
      ],
    };
  };
}

/** Sum of utime + stime of the processes named postgres, in ms; null where /proc cannot tell (not Linux). */
async function postgresCpuMs(): Promise<number | null> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid … : comm may hold spaces, so the fields are counted from its closing parenthesis.
    const close = stat.lastIndexOf(')');
    if (close < 0 || stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return Math.round((ticks * 1000) / TICKS_PER_S);
}
