import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

export const CHAOS_TOKEN = 'chaos-admin-token';

/** The load's devices are r-chaos-0 … r-chaos-<n-1>; the broker knows this many (LOCAL_DEVICES). */
const CHAOS_DEVICES = 64;
export const chaosDevice = (i: number) => `r-chaos-${i}`;
/** Each device's MQTT password (the broker authenticates every client). */
export const chaosDeviceSecret = (device: string) => `chaos-secret-${device}`;
const LOCAL_DEVICES = Array.from({ length: CHAOS_DEVICES }, (_, i) => chaosDevice(i))
  .map((device) => `${device}:${chaosDeviceSecret(device)}`)
  .join(',');

/** Where the running stack answers; changes on every start (PORT=0, MQTT_PORT=0). */
export interface Endpoints {
  httpUrl: string;
  mqttUrl: string;
  /** The stack's SQS endpoint (absent on builds that do not print it). */
  sqsUrl?: string | undefined;
}

export interface StackOptions {
  trail: string;
  dataDir: string;
  databaseUrl: string;
  queueMb: number | undefined;
  logDir: string;
  log: (message: string) => void;
}

const DEFAULT_TRAIL = resolve(import.meta.dirname, '..', 'bin', 'trail.mjs');

/** `trail start` as a child process, killed and started again on the same DATA_DIR. */
export class TrailStack {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private current: Endpoints | undefined;
  private starts = 0;
  private logFile: WriteStream | undefined;
  /** Exits nobody asked for (not our kill -9 or SIGINT): a crash. */
  crashes = 0;
  private expectingExit = false;

  constructor(private readonly options: StackOptions) {}

  static defaultTrail(): string {
    return DEFAULT_TRAIL;
  }

  /** The endpoints while the stack is ready, else undefined. */
  endpoints(): Endpoints | undefined {
    return this.current;
  }

  /** Starts it and waits for `[trail] ready`; rejects when it exits first (e.g. PostgreSQL is down) or in 60 s. */
  async start(env: Record<string, string> = {}): Promise<Endpoints> {
    if (this.child) throw new Error('the stack is already running');
    this.starts += 1;
    this.logFile = createWriteStream(join(this.options.logDir, `stack-${this.starts}.log`));
    const child = spawn(process.execPath, [this.options.trail, 'start'], {
      env: {
        ...process.env,
        DATABASE_URL: this.options.databaseUrl,
        DATA_DIR: this.options.dataDir,
        PORT: '0',
        MQTT_PORT: '0',
        LOCAL_TOKENS: `${CHAOS_TOKEN}=chaos:admin`,
        LOCAL_DEVICES,
        // The stack's own (hourly) maintenance keeps every month: archiving is the run's last phase, under kills.
        RETENTION_MONTHS: '0',
        ARCHIVE_URL: `file://${join(this.options.dataDir, 'archive')}`,
        ...(this.options.queueMb !== undefined && { LOCAL_QUEUE_MAX_MB: String(this.options.queueMb) }),
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_TRACE_ENABLED: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.expectingExit = false;
    const logFile = this.logFile;
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        if (!this.expectingExit && this.current) {
          this.crashes += 1;
          this.options.log(`the stack exited by itself (code ${code}, signal ${signal}): see ${logFile.path}`);
        }
        this.child = undefined;
        this.current = undefined;
        logFile.end();
        done();
      }),
    );
    let text = '';
    return await new Promise<Endpoints>((ready, failed) => {
      const timer = setTimeout(
        () => failed(new Error(`trail start was not ready in 60 s (log: ${logFile.path})`)),
        60_000,
      );
      const onData = (chunk: Buffer) => {
        logFile.write(chunk);
        if (this.current) return;
        text += chunk.toString();
        const httpUrl = /HTTP API (http:\/\/[\d.]+:\d+)/.exec(text)?.[1];
        const mqttUrl = /MQTT broker \(embedded[^)]*\) (mqtt:\/\/[\d.]+:\d+)/.exec(text)?.[1];
        if (httpUrl && mqttUrl && text.includes('[trail] ready')) {
          clearTimeout(timer);
          this.current = { httpUrl, mqttUrl, sqsUrl: /SQS endpoint (http:\/\/[\d.]+:\d+)/.exec(text)?.[1] };
          text = '';
          ready(this.current);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void this.exited.then(() => {
        clearTimeout(timer);
        failed(new Error(`trail start exited before it was ready (log: ${logFile.path})`));
      });
    });
  }

  /** Starts it, trying again every second until ready or `deadline` (epoch ms). */
  async startUntilReady(deadline: number, env?: Record<string, string>): Promise<Endpoints> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.start(env);
      } catch (error) {
        await this.kill();
        if (Date.now() > deadline)
          throw new Error(`the stack did not start in time (${attempt} attempts): ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  /** Whether a `trail start` process exists (starting, replaying or serving). */
  running(): boolean {
    return this.child !== undefined;
  }

  /** kill -9, whatever it is doing (starting, replaying, serving). */
  async kill(): Promise<boolean> {
    const child = this.child;
    if (!child) return false;
    this.expectingExit = true;
    this.current = undefined;
    child.kill('SIGKILL');
    await this.exited;
    return true;
  }

  /** Ctrl-C: a clean stop (the writer finishes what it can, the rest stays in the journal). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    this.current = undefined;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
