import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinkStatuses } from '../../shared/adapters/postgres/sink-status.ts';
import { uuidv7 } from '../../shared/core/domain/ids.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';
import { waitForHorizon } from '../support/sealed-log.ts';
import { type ReceivedRequest, type SinkReceiver, startSinkReceiver } from '../support/sink-receiver.ts';

const TOKEN = 'admin-token-sinks';
const KEY = 'w'.repeat(40);
const HEC_TOKEN = '00000000-1111-2222-3333-444444444444';

/** The seqs each sink's requests carried, by its format. */
const hookSeqs = (r: ReceivedRequest) =>
  (JSON.parse(r.body.toString()) as { events: { seq: number }[] }).events.map((e) => e.seq);
const splunkSeqs = (r: ReceivedRequest) =>
  r.body
    .toString()
    .split('\n')
    .map((line) => (JSON.parse(line) as { event: { seq: number } }).event.seq);
const otlpSeqs = (r: ReceivedRequest) =>
  (
    JSON.parse(r.body.toString()) as {
      resourceLogs: { scopeLogs: { logRecords: { attributes: { key: string; value: { intValue: number } }[] }[] }[] }[];
    }
  ).resourceLogs
    .flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))
    .map((record) => Number(record.attributes.find((a) => a.key === 'event.seq')?.value.intValue));

/** The seqs a sink took, each the first time it took it: at least once means every seq, in order. */
const firstAccepted = (receiver: SinkReceiver, seqsOf: (r: ReceivedRequest) => number[]) => {
  const seen = new Set<number>();
  return receiver.requests
    .filter((r) => r.status === 200)
    .flatMap(seqsOf)
    .filter((seq) => !seen.has(seq) && seen.add(seq));
};

describe('the local stack streams every sealed event to its sinks, across a sink outage and a restart', () => {
  let db: TestDatabase;
  let hook: SinkReceiver;
  let otlp: SinkReceiver;
  let splunk: SinkReceiver;
  const logs: string[] = [];
  const refusedId = uuidv7();

  beforeAll(async () => {
    db = await createTestDatabase('e2e_sinks');
    [hook, otlp, splunk] = await Promise.all([startSinkReceiver(), startSinkReceiver(), startSinkReceiver()]);
    process.env.SINK_SECRET_HOOK = KEY;
    process.env.SINK_SECRET_SPLUNK = HEC_TOKEN;
  });
  afterAll(async () => {
    await Promise.all([hook?.close(), otlp?.close(), splunk?.close()]);
    await db?.drop();
  });

  const stack = () =>
    startTestStack(db.url, `${TOKEN}=alice:admin`, (message) => logs.push(message), undefined, {
      SINKS: `webhook:hook=${hook.url}/hook,otlp-json:otlp=${otlp.url},splunk=${splunk.url}`,
      SEAL_INTERVAL_MS: '200',
      SINK_INTERVAL_MS: '100',
    });
  const post = async (url: string, events: object[]) => {
    const response = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(response.status).toBe(202);
  };
  const robots = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({ type: 'robot.online', entity: { type: 'robot', id: `r-${from + i}` } }));
  /** Until every sink's cursor is at the log's head (and the head is past `atLeast`). */
  const caughtUp = async (atLeast: number) => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const statuses = await sinkStatuses(db.pool, ['hook', 'otlp', 'splunk']);
      if (statuses.every((s) => s.lagEvents === 0 && s.headSeq >= atLeast)) return statuses;
      if (Date.now() > deadline) throw new Error(`sinks still behind: ${JSON.stringify(statuses)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('delivers in seq order at least once; the webhook down, then failing, then refusing one event', async () => {
    // The webhook is down: connections refused, the whole first run.
    await hook.close();
    const first = await stack();
    await post(first.httpUrl, robots(10, 0));
    expect(await first.drain(15_000)).toBe(true);
    await waitForHorizon(db.pool);
    await first.sealNow();
    const deadline = Date.now() + 20_000;
    // Until otlp has them all and the hook's attempt has failed (the sinks' rounds run side by side).
    const settled = async () => {
      const [hookNow, otlpNow] = await sinkStatuses(db.pool, ['hook', 'otlp']);
      return otlpNow!.lagEvents === 0 && hookNow!.lastError !== null;
    };
    while (!(await settled()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const [hookBefore] = await sinkStatuses(db.pool, ['hook']);
    expect(hookBefore).toMatchObject({ cursorSeq: 0, lastError: expect.stringMatching(/ECONNREFUSED/) });
    expect(hookBefore!.lagEvents).toBeGreaterThanOrEqual(10);
    await first.stop();

    // Back, but answering 503 twice, and refusing one event for good.
    let unavailable = 2;
    hook.answerWith((request) => {
      if (unavailable-- > 0) return 503;
      return request.body.toString().includes(refusedId) ? 400 : 200;
    });
    await hook.reopen();
    const second = await stack();
    await post(second.httpUrl, [
      ...robots(4, 10),
      {
        id: refusedId,
        occurredAt: new Date().toISOString(),
        type: 'robot.online',
        entity: { type: 'robot', id: 'r-x' },
      },
      ...robots(5, 15),
    ]);
    expect(await second.drain(15_000)).toBe(true);
    await waitForHorizon(db.pool);
    await second.sealNow();
    const statuses = await caughtUp(20);
    // What arrived by now: the read below is recorded (audit.accessed), sealed and streamed too.
    const delivered = {
      hook: firstAccepted(hook, hookSeqs),
      otlp: firstAccepted(otlp, otlpSeqs),
      splunk: firstAccepted(splunk, splunkSeqs),
    };
    // The operations view (GET /operations, trail status) shows the same lag and dead letters per sink.
    const operations = await fetch(`${second.httpUrl}/operations`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(operations.status).toBe(200);
    const { sinks } = (await operations.json()) as {
      sinks: { name: string; lagEvents: number; deadLettered: number }[];
    };
    expect(sinks.map((sink) => sink.name).sort()).toEqual(['hook', 'otlp', 'splunk']);
    expect(sinks.find((sink) => sink.name === 'hook')).toMatchObject({ deadLettered: 1 });
    for (const sink of sinks) expect(sink.lagEvents).toBeLessThanOrEqual(1);
    await second.stop();

    const head = statuses[0]!.headSeq;
    const { rows } = await db.pool.query('SELECT seq::int FROM event_log WHERE event_id = $1', [refusedId]);
    const refusedSeq = rows[0].seq as number;
    const everySeq = [...Array(head).keys()];
    expect(delivered.hook).toEqual(everySeq.filter((seq) => seq !== refusedSeq));
    expect(delivered.otlp).toEqual(everySeq);
    expect(delivered.splunk).toEqual(everySeq);
    expect(statuses.find((s) => s.name === 'hook')).toMatchObject({ deadLettered: 1, lagEvents: 0 });
    expect(hook.requests.some((r) => r.status === 503)).toBe(true);
    expect(splunk.requests[0]?.headers.authorization).toBe(`Splunk ${HEC_TOKEN}`);
    expect(splunk.requests[0]?.path).toBe('/services/collector/event');
    expect(otlp.requests[0]?.path).toBe('/v1/logs');
    expect(logs.some((line) => /forwarder: sink hook: delivery failed \(.*ECONNREFUSED/.test(line))).toBe(true);
  }, 120_000);
});
