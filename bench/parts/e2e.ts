import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type pg from 'pg';
import { loadLocalConfig } from '../../shared/apps/local/config.ts';
import { startLocalStack } from '../../shared/apps/local/stack.ts';
import type { EntityRef } from '../../shared/core/domain/entity.ts';
import { createFleet, createRandom, eventBody, type Random } from '../events.ts';
import { profiled, type StageShare, stageShares } from '../profile.ts';
import { rate, ratio } from '../stats.ts';
import { splitTime, type TimeSplit } from '../threads.ts';
import type { BenchPart } from '../types.ts';

const TOKEN = 'bench-token-0001';
/** A site gateway's POST: 500 events of 10 entities, so the queue packs 50 events per message. */
const HTTP_EVENTS_PER_REQUEST = 500;
const HTTP_ENTITIES_PER_REQUEST = 10;
const HTTP_CLIENTS = 4;
/** A device's MQTT message: `{"events":[…]}` of 50 events about itself. */
const MQTT_EVENTS_PER_MESSAGE = 50;
const MQTT_PUBLISHERS = 10;
const POLL_MS = 100;
/** Each robot's MQTT secret (LOCAL_DEVICES): it connects with username and client id = its thing name. */
const deviceSecret = (thing: string) => `bench-secret-${thing}`;

/**
 * Part 2: the local stack (HTTP API, MQTT broker and IoT rule, SQS FIFO, event source, writer) on a fresh database;
 * HTTP clients and MQTT devices push at once, and the clock stops when PostgreSQL holds every event.
 */
export const e2ePart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const random = createRandom(2);
  const fleet = createFleet(5000);
  // The gateway posts as an operator: user.* identity events are the identity source's, not the floor's.
  const floor = fleet.filter((entity) => entity.type !== 'user');
  const httpBodies = requestBodies(random, floor, Math.ceil(options.e2eEvents / 2 / HTTP_EVENTS_PER_REQUEST));
  const robots = fleet.filter((entity) => entity.type === 'robot').slice(0, MQTT_PUBLISHERS);
  const mqttMessages = Math.ceil(options.e2eEvents / 2 / MQTT_EVENTS_PER_MESSAGE / robots.length);
  const expected = {
    http: httpBodies.length * HTTP_EVENTS_PER_REQUEST,
    iot: robots.length * mqttMessages * MQTT_EVENTS_PER_MESSAGE,
  };

  const db = await ctx.server.createDatabase('e2e');
  const dataDir = await mkdtemp(join(tmpdir(), 'trail-bench-stack-'));
  // Unused while DATABASE_URL is set, but an embedded PostgreSQL run as root needs to enter it.
  await chmod(dataDir, 0o755);
  const stackLog: string[] = [];
  const stack = await startLocalStack(
    loadLocalConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      MQTT_PORT: '0',
      DATA_DIR: dataDir,
      LOCAL_TOKENS: `${TOKEN}=bench:operator`,
      LOCAL_DEVICES: robots.map((robot) => `${robot.id}:${deviceSecret(robot.id)}`).join(','),
      DB_WRITER_PASSWORD: ctx.server.passwords.audit_writer,
      DB_READER_PASSWORD: ctx.server.passwords.audit_reader,
      DB_SEALER_PASSWORD: ctx.server.passwords.audit_sealer,
    }),
    (message) => stackLog.push(message),
  );
  try {
    log(`e2e: ${expected.http} events over HTTP, ${expected.iot} over MQTT`);
    const load = async () => {
      const endSplit = await splitTime();
      const started = performance.now();
      const sent = { http: 0, iot: 0 };
      const sending = Promise.all([
        postAll(stack.httpUrl, httpBodies).then(() => {
          sent.http = performance.now() - started;
        }),
        publishAll(stack.mqttUrl, robots, mqttMessages, random).then(() => {
          sent.iot = performance.now() - started;
        }),
      ]);
      const committed = await waitForCommits(db.pool, expected, started, options.maxSecondsPerLoop * 4000);
      const split = await endSplit();
      await sending;
      return { committed, sent, split };
    };
    const { committed, sent, split, profile } = options.profile
      ? await profiledLoad(load)
      : { ...(await load()), profile: undefined };
    const copy = ctx.results.writer?.figures['copy_rows_per_s'] ?? null;
    const total = expected.http + expected.iot;
    const e2e = committed.all === null ? null : rate(total, committed.all);
    const http = committed.http === null ? null : rate(expected.http, committed.http);
    const iot = committed.iot === null ? null : rate(expected.iot, committed.iot);
    log(`e2e: ${e2e ?? 'incomplete'} events/s (HTTP ${http}, MQTT ${iot})`);
    return {
      status: 'measured',
      figures: {
        e2e_events_per_s: e2e,
        http_events_per_s: http,
        mqtt_events_per_s: iot,
        e2e_vs_copy: ratio(e2e, copy),
        http_vs_copy: ratio(http, copy),
        mqtt_vs_copy: ratio(iot, copy),
      },
      notes: [
        `${HTTP_CLIENTS} HTTP clients POST ${HTTP_EVENTS_PER_REQUEST} events of ${HTTP_ENTITIES_PER_REQUEST} entities ` +
          `each while ${robots.length} MQTT devices publish ${MQTT_EVENTS_PER_MESSAGE} events per message (QoS 1); ` +
          'rate = events / time from the first send until PostgreSQL holds them all (polled every ' +
          `${POLL_MS} ms); the ratio is to COPY of the writer part`,
        'the whole local stack (API, broker, IoT rule, SQS endpoint, event source with 2 pollers, writer) and the ' +
          'clients share one Node.js process and the 2 cores with PostgreSQL',
        splitNote(split, total),
        ...(profile ? profileNotes(profile) : []),
      ],
      details: {
        ...(profile && { profile }),
        split,
        expected,
        committedMs: committed,
        acceptedMs: { http: Math.round(sent.http), iot: Math.round(sent.iot) },
        stackLog,
      },
    };
  } finally {
    await stack.stop();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
};

/** The time split as one line: each thread's busy share of the load's wall time, and CPU per event. */
function splitNote(split: TimeSplit, events: number): string {
  const perEvent = (ms: number) => Math.round((ms * 1000) / events);
  const postgres =
    split.postgresCpuMs === null
      ? 'PostgreSQL CPU not readable here'
      : `PostgreSQL ${split.postgresCpuMs} ms CPU (${perEvent(split.postgresCpuMs)} µs/event; every postgres process of the machine)`;
  return (
    `time split over the ${split.windowMs} ms load: ` +
    split.threads.map((t) => `${t.thread} busy ${t.busyPercent}%`).join(', ') +
    `; this process ${split.processCpuMs} ms CPU (${perEvent(split.processCpuMs)} µs/event), ${postgres}`
  );
}

/** The load under the CPU profiler: its shares by stage; the profile itself goes to a file for a closer look. */
async function profiledLoad<T>(load: () => Promise<T>) {
  const { result, profile } = await profiled(load);
  const file = join(tmpdir(), `trail-bench-e2e-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  return { ...result, profile: { file, ...stageShares(profile) } };
}

function profileNotes(profile: { file: string; busyMs: number; idleMs: number; stages: StageShare[] }): string[] {
  return [
    `profiled (figures above are slowed by it): Node busy ${profile.busyMs} ms, idle ${profile.idleMs} ms; ` +
      `by stage: ${profile.stages.map((s) => `${s.stage} ${s.percent}%`).join(', ')}; profile in ${profile.file}`,
  ];
}

/** Pre-serialized request bodies, so the clients spend no time building JSON while the clock runs. */
function requestBodies(random: Random, fleet: readonly EntityRef[], count: number): string[] {
  const perEntity = HTTP_EVENTS_PER_REQUEST / HTTP_ENTITIES_PER_REQUEST;
  return Array.from({ length: count }, () => {
    const events = Array.from({ length: HTTP_ENTITIES_PER_REQUEST }, () => {
      const entity = fleet[Math.floor(random() * fleet.length)]!;
      return Array.from({ length: perEntity }, () => ({ ...eventBody(random, entity), entity }));
    }).flat();
    return JSON.stringify(events);
  });
}

async function postAll(httpUrl: string, bodies: readonly string[]): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const response = await fetch(`${httpUrl}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body,
      });
      if (response.status !== 202)
        throw new Error(`POST /events answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: HTTP_CLIENTS }, client));
}

/** Each robot connects as its thing name, with its secret, and publishes on its own topic, as the IoT policy requires. */
async function publishAll(mqttUrl: string, robots: readonly EntityRef[], messages: number, random: Random) {
  const payloads = robots.map((robot) =>
    Array.from({ length: messages }, () =>
      JSON.stringify({
        events: Array.from({ length: MQTT_EVENTS_PER_MESSAGE }, () => ({ ...eventBody(random, robot), entity: robot })),
      }),
    ),
  );
  await Promise.all(
    robots.map(async (robot, r) => {
      const device = await mqtt.connectAsync(mqttUrl, {
        clientId: robot.id,
        username: robot.id,
        password: deviceSecret(robot.id),
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      try {
        for (const payload of payloads[r]!) await device.publishAsync(`audit/${robot.id}/events`, payload, { qos: 1 });
      } finally {
        await device.endAsync();
      }
    }),
  );
}

type Committed = { all: number | null; http: number | null; iot: number | null };

/** Milliseconds from `started` until each channel's events are all in PostgreSQL (null: not within `timeoutMs`). */
async function waitForCommits(
  pool: pg.Pool,
  expected: { http: number; iot: number },
  started: number,
  timeoutMs: number,
): Promise<Committed> {
  const done: Committed = { all: null, http: null, iot: null };
  while (performance.now() - started < timeoutMs) {
    const { rows } = await pool.query<{ channel: 'http' | 'iot'; events: number }>(
      'SELECT source_channel AS channel, count(*)::int AS events FROM events GROUP BY 1',
    );
    const at = Math.round(performance.now() - started);
    const count = (channel: 'http' | 'iot') => rows.find((row) => row.channel === channel)?.events ?? 0;
    if (done.http === null && count('http') >= expected.http) done.http = at;
    if (done.iot === null && count('iot') >= expected.iot) done.iot = at;
    if (done.http !== null && done.iot !== null) {
      done.all = Math.max(done.http, done.iot);
      return done;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return done;
}
