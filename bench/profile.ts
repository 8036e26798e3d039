import { Session } from 'node:inspector/promises';

/** The shape of a V8 CPU profile (`Profiler.stop`, or a `.cpuprofile` file), as far as this reads it. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The stages of the local ingest path, each recognised by the code its frames run in. A sample counts for the stage
 * of the nearest frame on its stack that belongs to one (a `JSON.parse` inside the queue proxy is the queue's), so
 * native and Node-internal leaves go to the stage that called them.
 */
export const STAGES: readonly { stage: string; patterns: readonly RegExp[] }[] = [
  {
    stage: 'writer (write batch, PostgreSQL client)',
    patterns: [/shared\/(core\/writer|adapters\/postgres|apps\/writer)/, /node_modules\/pg(-protocol|-pool)?\//],
  },
  {
    stage: 'queue (SQS client, SQS endpoint, journal, packing)',
    patterns: [
      /shared\/(adapters\/sqs|apps\/local\/(durable-sqs|queue-journal|sqs|sqs-event-source))/,
      /shared\/core\/ingest\/packing/,
      /node_modules\/(@aws-sdk|@smithy|fauxqs|fastify|@fastify|find-my-way|light-my-request|avvio)\//,
    ],
  },
  {
    stage: 'validation (zod, event rules, storability)',
    patterns: [/shared\/core\/(domain|ingest\/(accept|http-body|iot-message))/, /node_modules\/zod\//],
  },
  {
    stage: 'MQTT (broker, IoT rule, device clients)',
    patterns: [/node_modules\/(aedes[^/]*|mqtt|mqtt-packet|mqemitter|fastparallel|fastfall)\//, /apps\/local\/mqtt/],
  },
  {
    stage: 'HTTP (local API, request parsing; node:http of every server)',
    patterns: [/apps\/local\/http-server/, /^node:_http/, /node:internal\/deps\/undici/],
  },
  {
    stage: 'handler runtime (middy, Powertools)',
    patterns: [/node_modules\/(@middy|@aws-lambda-powertools)\//, /shared\/apps\/runtime\//],
  },
  { stage: 'benchmark clients', patterns: [/\/bench\//] },
];

export interface StageShare {
  stage: string;
  ms: number;
  /** Of the busy time (not idle). */
  percent: number;
}

/** Busy time by stage, biggest first; `garbage collection` and `other` for what no stage claims. */
export function stageShares(profile: CpuProfile): { busyMs: number; idleMs: number; stages: StageShare[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOf.get(id);
    if (known) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    let stage: string | undefined;
    if (functionName === '(idle)') stage = '(idle)';
    else if (functionName === '(garbage collector)') stage = 'garbage collection';
    else stage = STAGES.find(({ patterns }) => patterns.some((p) => p.test(url)))?.stage;
    if (!stage) {
      const up = parent.get(id);
      stage = up === undefined ? 'other' : classify(up);
    }
    stageOf.set(id, stage);
    return stage;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const stage = classify(id);
    totals.set(stage, (totals.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const idleMs = totals.get('(idle)') ?? 0;
  totals.delete('(idle)');
  const busyMs = [...totals.values()].reduce((sum, ms) => sum + ms, 0);
  const stages = [...totals]
    .map(([stage, ms]) => ({ stage, ms: Math.round(ms), percent: busyMs ? Math.round((1000 * ms) / busyMs) / 10 : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { busyMs: Math.round(busyMs), idleMs: Math.round(idleMs), stages };
}

/** Runs `work` under this process's CPU profiler and returns its result with the profile. */
export async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    return { result, profile: profile as unknown as CpuProfile };
  } finally {
    session.disconnect();
  }
}
