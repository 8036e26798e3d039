import mqtt, { type MqttClient } from 'mqtt';
import { createRandom, type Random } from '../bench/events.ts';
import { badHttpInput, badMqttInput } from './bad-inputs.ts';
import { deviceEvent, httpEvent, oldMonthEvent } from './events.ts';
import type { Ledger } from './ledger.ts';
import { CHAOS_TOKEN, chaosDeviceSecret, type Endpoints, sleep } from './stack.ts';

export interface LoadControl {
  endpoints: () => Endpoints | undefined;
  /** No new request once true; a request under way is still sent until answered. */
  stopping: () => boolean;
  /** Past this (epoch ms) even a request under way is given up (its ids were never accepted). */
  giveUpAt: () => number;
  ledger: Ledger;
}

/** Share of requests that resend one already accepted, identical (a client that did not see the 202, say). */
const RESEND_SHARE = 0.05;
const REMEMBERED = 200;

/** One HTTP client: batches of 1–50 events; retries the same body after 503 or a broken connection. */
export async function httpClient(control: LoadControl, client: number, seed: number): Promise<void> {
  const random = createRandom(seed);
  const done: { body: string; ids: string[] }[] = [];
  let seq = 0;
  while (!control.stopping()) {
    let request: { body: string; ids: string[] };
    if (done.length > 0 && random() < RESEND_SHARE) {
      request = done[Math.floor(random() * done.length)]!;
      control.ledger.counts.resends += 1;
    } else {
      const events = Array.from({ length: 1 + Math.floor(random() * 50) }, () => httpEvent(random, client, seq++));
      request = { body: JSON.stringify(events), ids: events.map((e) => e.id) };
      for (const id of request.ids) control.ledger.sent.add(id);
    }
    const status = await postUntilAnswered(control, request.body, 'application/json');
    if (status === 202) {
      for (const id of request.ids) control.ledger.accepted.add(id);
      done.push(request);
      if (done.length > REMEMBERED) done.splice(Math.floor(random() * done.length), 1);
    } else if (status !== undefined) {
      control.ledger.counts.good_refused += 1;
      control.ledger.note(`good request answered ${status}: ${request.body.slice(0, 200)}`);
    }
  }
}

/**
 * POSTs until the answer is final: 2xx or 4xx. 503 (with Retry-After: backpressure, a stopping server) and broken
 * connections are retried with the same body; undefined when given up.
 */
async function postUntilAnswered(
  control: LoadControl,
  body: string | Buffer,
  contentType: string,
  onRetry?: (status: number | 'error') => void,
): Promise<number | undefined> {
  const { counts } = control.ledger;
  while (Date.now() < control.giveUpAt()) {
    const endpoints = control.endpoints();
    if (!endpoints) {
      await sleep(100);
      continue;
    }
    counts.http_requests += 1;
    try {
      const response = await fetch(`${endpoints.httpUrl}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CHAOS_TOKEN}`, 'content-type': contentType },
        body,
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      if (response.status < 500) return response.status;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (response.status === 503 && retryAfter > 0) {
        counts.http_503 += 1;
        onRetry?.(503);
        await sleep(Math.min(retryAfter, 2) * 1000);
        continue;
      }
      onRetry?.(response.status);
      counts.http_5xx += 1;
      control.ledger.note(`HTTP ${response.status}: ${text}`);
      await sleep(500);
    } catch {
      counts.http_connection_errors += 1;
      onRetry?.('error');
      await sleep(200);
    }
  }
  return undefined;
}

/**
 * Posts `count` more events dated in the old month (without faults, after the load), so the archive phase has several
 * files' worth of rows to export under faults however little the load got through on a busy machine.
 */
export async function topUpOldMonth(control: LoadControl, count: number, seed: number): Promise<number> {
  const random = createRandom(seed);
  let posted = 0;
  while (posted < count && Date.now() < control.giveUpAt()) {
    const events = Array.from({ length: Math.min(50, count - posted) }, (_, i) => oldMonthEvent(random, posted + i));
    for (const event of events) control.ledger.sent.add(event.id);
    const status = await postUntilAnswered(control, JSON.stringify(events), 'application/json');
    if (status !== 202) break;
    for (const event of events) control.ledger.accepted.add(event.id);
    posted += events.length;
  }
  return posted;
}

/** Bad HTTP inputs, one after another while the load runs; each must get a 4xx. */
export async function badHttpSender(control: LoadControl, count: number, seed: number, paceMs: number) {
  const random = createRandom(seed);
  const { counts } = control.ledger;
  const started = Date.now();
  // All of them are sent, also on a slow machine: those the load's end overtakes go out unpaced after it.
  for (let i = 0; i < count && Date.now() < control.giveUpAt(); i++) {
    // Spread over the load, so bad inputs meet every state of the stack (starting, replaying, backlog full).
    if (!control.stopping()) await sleep(Math.max(0, started + i * paceMs - Date.now()));
    const input = badHttpInput(random);
    for (const id of input.ids) control.ledger.refused.set(id, input.what);
    let fivexx = false;
    const status = await postUntilAnswered(control, input.body, input.contentType, (why) => {
      if (why === 503) counts.bad_inputs_503_retried += 1;
      else if (typeof why === 'number' && !fivexx) {
        fivexx = true;
        counts.bad_inputs_5xx += 1;
        control.ledger.note(`bad input "${input.what}" answered ${why}`);
      }
    });
    if (status === undefined) continue;
    counts.bad_inputs += 1;
    if (status < 400) {
      counts.bad_inputs_2xx += 1;
      control.ledger.note(`bad input "${input.what}" answered ${status}: ${input.body.subarray(0, 200).toString()}`);
    }
  }
}

/** One device: QoS 1 publishes, one at a time; a message counts as accepted on PUBACK, else it is sent again. */
export async function mqttDevice(control: LoadControl, device: string, seed: number, badInputs: number): Promise<void> {
  const random = createRandom(seed);
  const connection = deviceConnection(device);
  const done: { payload: string; ids: string[] }[] = [];
  let seq = 0;
  let bad = 0;
  try {
    while (!control.stopping()) {
      if (bad < badInputs && random() < 0.1) {
        bad += 1;
        await publishBad(control, connection, random, device);
        continue;
      }
      let message: { payload: string; ids: string[] };
      if (done.length > 0 && random() < RESEND_SHARE) {
        message = done[Math.floor(random() * done.length)]!;
        control.ledger.counts.resends += 1;
      } else {
        const events = Array.from({ length: random() < 0.5 ? 1 : 2 + Math.floor(random() * 4) }, () =>
          deviceEvent(random, device, seq++),
        );
        message = {
          payload: JSON.stringify(events.length === 1 ? events[0] : { events }),
          ids: events.map((e) => e.id),
        };
        for (const id of message.ids) control.ledger.sent.add(id);
      }
      if (await publishUntilAcked(control, connection, device, message.payload)) {
        for (const id of message.ids) control.ledger.accepted.add(id);
        done.push(message);
        if (done.length > REMEMBERED) done.splice(Math.floor(random() * done.length), 1);
      }
    }
    // The device's share of bad inputs is sent in full, even when the load ended before chance drew them all.
    for (; bad < badInputs && Date.now() < control.giveUpAt(); bad++)
      await publishBad(control, connection, random, device);
  } finally {
    await connection.close();
  }
}

async function publishBad(control: LoadControl, connection: DeviceConnection, random: Random, device: string) {
  const input = badMqttInput(random);
  for (const id of input.ids) control.ledger.refused.set(id, input.what);
  // Acknowledged or not, it must not be stored: a refused message is acknowledged (MQTT has no negative ack).
  if (await publishUntilAcked(control, connection, device, input.body)) {
    control.ledger.counts.bad_inputs += 1;
    control.ledger.counts.bad_inputs_mqtt += 1;
  }
}

interface DeviceConnection {
  get(url: string): Promise<MqttClient>;
  drop(): void;
  close(): Promise<void>;
}

/** The device's connection to the current broker: a new one after each restart (the port changes). */
function deviceConnection(device: string): DeviceConnection {
  let client: MqttClient | undefined;
  let connectedTo: string | undefined;
  const drop = () => {
    client?.end(true);
    client = undefined;
  };
  return {
    async get(url) {
      if (client && connectedTo === url && client.connected) return client;
      drop();
      client = await mqtt.connectAsync(url, {
        clientId: device,
        username: device,
        password: chaosDeviceSecret(device),
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      });
      client.on('error', () => undefined);
      connectedTo = url;
      return client;
    },
    drop,
    async close() {
      await client?.endAsync(true).catch(() => undefined);
      client = undefined;
    },
  };
}

async function publishUntilAcked(
  control: LoadControl,
  connection: DeviceConnection,
  device: string,
  payload: string | Buffer,
): Promise<boolean> {
  const { counts } = control.ledger;
  while (Date.now() < control.giveUpAt()) {
    const endpoints = control.endpoints();
    if (!endpoints) {
      await sleep(100);
      continue;
    }
    counts.mqtt_messages += 1;
    try {
      const client = await connection.get(endpoints.mqttUrl);
      await withTimeout(client.publishAsync(`audit/${device}/events`, payload, { qos: 1 }), 10_000);
      return true;
    } catch {
      // Closed without PUBACK (the queue refused it, or the stack died), or no answer: the same message again.
      counts.mqtt_unacked += 1;
      connection.drop();
      await sleep(200);
    }
  }
  return false;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
