import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { JournaledMessage, QueueJournal } from './queue-journal.ts';

/**
 * The local SQS endpoint's durable front: an SQS JSON-protocol proxy in front of the in-memory emulator (fauxqs).
 * Sends are journaled and fsync'd before they are forwarded, so a send answered 200 survives `kill -9`; deletes ack
 * the journal; a send to a bounded queue whose backlog would pass its bound is refused as SQS refuses a throttled
 * request, and the ingest handler answers 503 with Retry-After, as it does for any queue failure.
 */
export interface DurableSqsOptions {
  upstreamOrigin: string;
  /** Queue name → the emulator's URL for it (its host differs from its origin: `sqs.<region>.127.0.0.1:<port>`). */
  upstreamQueueUrls: ReadonlyMap<string, string>;
  journal: QueueJournal;
  /** Queue name → the most bytes of bodies it may hold unacked; sends past that are refused (RequestThrottled). */
  bounds: ReadonlyMap<string, number>;
  port?: number;
}

export interface DurableSqs {
  origin: string;
  /** This endpoint's URL for a queue, e.g. `http://127.0.0.1:<port>/000000000000/audit-events.fifo`. */
  queueUrl(name: string): string;
  /** Records the upstream message ids of journal entries sent there directly (a replay on start). */
  remember(messageId: string, seq: number): void;
  stop(): Promise<void>;
}

type Body = Record<string, unknown>;
type SendEntry = JournaledMessage & { Id?: string };

export async function startDurableSqs({
  upstreamOrigin,
  upstreamQueueUrls,
  journal,
  bounds,
  port = 0,
}: DurableSqsOptions) {
  /** Upstream message id → journal entries it carries (a deduplicated resend shares the first send's id). */
  const entriesOf = new Map<string, number[]>();
  /** Receipt handle → message id, to turn a delete into an ack. */
  const messageOf = new Map<string, { messageId: string; at: number }>();
  /**
   * Message ids deleted in the last minutes. A resend the emulator drops as a duplicate (inside its 5-minute window) is
   * answered with the first send's id; if that message was already deleted, nothing will ever delete the resend's
   * entry, so it is acked at once: its content is the deleted message's, already written.
   */
  const deletedAt = new Map<string, number>();
  const remember = (messageId: string, seq: number) => {
    if (deletedAt.has(messageId)) return journal.ack([seq]);
    const known = entriesOf.get(messageId);
    if (known) known.push(seq);
    else entriesOf.set(messageId, [seq]);
  };
  const acked = (receiptHandle: string) => {
    const received = messageOf.get(receiptHandle);
    if (!received) return;
    messageOf.delete(receiptHandle);
    const now = Date.now();
    deletedAt.set(received.messageId, now);
    forgetOlderThan(deletedAt, now - DEDUPLICATION_WINDOW_MS - 60_000);
    const seqs = entriesOf.get(received.messageId);
    entriesOf.delete(received.messageId);
    if (seqs) journal.ack(seqs);
  };

  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const upstreamUrl = new URL(upstreamOrigin);
  /** Sends the request on, with the emulator's URL for the queue (the rest of the body as it came, byte for byte). */
  const forward = (target: string, headers: IncomingMessage['headers'], raw: string, body: Body) => {
    const text =
      typeof body.QueueUrl === 'string'
        ? // The SDK writes the key and value as JSON; inside a message body quotes are escaped, so this is the field.
          raw.replace(
            `"QueueUrl":${JSON.stringify(body.QueueUrl)}`,
            `"QueueUrl":${JSON.stringify(upstream(body.QueueUrl))}`,
          )
        : raw;
    return new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          agent,
          host: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': String(headers['content-type'] ?? 'application/x-amz-json-1.0'),
            'content-length': Buffer.byteLength(text),
            'x-amz-target': target,
            ...(headers.authorization && { authorization: String(headers.authorization) }),
          },
        },
        (response) => {
          readAll(response).then(
            (answer) =>
              resolve({ status: response.statusCode ?? 500, type: response.headers['content-type'], text: answer }),
            reject,
          );
        },
      );
      request.on('error', reject);
      request.end(text);
    });
  };
  const upstream = (queueUrl: string) => upstreamQueueUrls.get(queueName(queueUrl)) ?? queueUrl;

  async function handle(req: IncomingMessage, res: ServerResponse, origin: string) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.replace(/^AmazonSQS\./, '');
    const raw = (await readAll(req)) || '{}';
    const body = JSON.parse(raw) as Body;
    const queue = typeof body.QueueUrl === 'string' ? queueName(body.QueueUrl) : '';

    if (action === 'SendMessage' || action === 'SendMessageBatch') {
      const entries = (action === 'SendMessage' ? [body] : ((body.Entries as Body[]) ?? [])).map(sendEntry);
      const bound = bounds.get(queue);
      const adding = entries.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody), 0);
      if (bound !== undefined && journal.backlogBytes(queue) + adding > bound)
        return reply(res, 400, throttled(queue, bound));
      const seqs = await journal.append(queue, entries.map(withoutId));
      let result: Awaited<ReturnType<typeof forward>>;
      try {
        result = await forward(target, req.headers, raw, body);
      } catch (error) {
        journal.ack(seqs);
        throw error;
      }
      if (result.status !== 200) journal.ack(seqs);
      else if (action === 'SendMessage') remember(JSON.parse(result.text).MessageId, seqs[0]!);
      else {
        const answer = JSON.parse(result.text) as { Successful?: { Id: string; MessageId: string }[] };
        const seqById = new Map(entries.map((e, i) => [e.Id, seqs[i]!]));
        for (const ok of answer.Successful ?? []) remember(ok.MessageId, seqById.get(ok.Id)!);
        const sent = new Set((answer.Successful ?? []).map((ok) => seqById.get(ok.Id)));
        journal.ack(seqs.filter((seq) => !sent.has(seq)));
      }
      return reply(res, result.status, result.text, result.type);
    }

    const result = await forward(target, req.headers, raw, body);
    if (result.status === 200) {
      const answer = result.text ? (JSON.parse(result.text) as Body) : {};
      if (action === 'ReceiveMessage') {
        const now = Date.now();
        for (const m of (answer.Messages as { MessageId: string; ReceiptHandle: string }[]) ?? [])
          messageOf.set(m.ReceiptHandle, { messageId: m.MessageId, at: now });
        forgetStaleHandles(messageOf, now);
      } else if (action === 'DeleteMessage') acked(String(body.ReceiptHandle));
      else if (action === 'DeleteMessageBatch') {
        const handleById = new Map(((body.Entries as Body[]) ?? []).map((e) => [e.Id, String(e.ReceiptHandle)]));
        for (const ok of (answer.Successful as { Id: string }[]) ?? []) acked(handleById.get(ok.Id) ?? '');
      } else if (action === 'GetQueueUrl' && typeof answer.QueueUrl === 'string')
        return reply(res, 200, JSON.stringify({ ...answer, QueueUrl: ours(origin, answer.QueueUrl) }), result.type);
      else if (action === 'ListQueues' && Array.isArray(answer.QueueUrls))
        return reply(
          res,
          200,
          JSON.stringify({ ...answer, QueueUrls: answer.QueueUrls.map((url: string) => ours(origin, url)) }),
          result.type,
        );
    }
    return reply(res, result.status, result.text, result.type);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res, origin).catch((error) => {
      if (!res.headersSent)
        reply(res, 500, JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    queueUrl: (name: string) => `${origin}/000000000000/${name}`,
    remember,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
      await journal.flush();
    },
  } satisfies DurableSqs;
}

function sendEntry(entry: Body): SendEntry {
  return {
    ...(typeof entry.Id === 'string' && { Id: entry.Id }),
    MessageBody: String(entry.MessageBody ?? ''),
    ...(typeof entry.MessageGroupId === 'string' && { MessageGroupId: entry.MessageGroupId }),
    ...(typeof entry.MessageDeduplicationId === 'string' && { MessageDeduplicationId: entry.MessageDeduplicationId }),
    ...(entry.MessageAttributes !== undefined && {
      MessageAttributes: entry.MessageAttributes as Record<string, unknown>,
    }),
  };
}

function withoutId({ Id: _id, ...message }: SendEntry): JournaledMessage {
  return message;
}

export function queueName(queueUrl: string): string {
  return new URL(queueUrl).pathname.split('/').pop() ?? '';
}

const ours = (origin: string, queueUrl: string) => origin + new URL(queueUrl).pathname;

/** How SQS answers a throttled request; the SDK retries it a few times, then the caller sees `RequestThrottled`. */
function throttled(queue: string, bound: number): string {
  return JSON.stringify({
    __type: 'com.amazonaws.sqs#RequestThrottled',
    message: `${queue} holds ${Math.round(bound / 2 ** 20)} MiB not yet written (LOCAL_QUEUE_MAX_MB): retry later`,
  });
}

/** SQS FIFO's deduplication interval: a send with a used deduplication id inside it is answered but dropped. */
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

/** Drops entries older than `before` (a Map iterates in insertion order, so the oldest come first). */
function forgetOlderThan(times: Map<string, number>, before: number): void {
  for (const [key, at] of times) {
    if (at >= before) break;
    times.delete(key);
  }
}

/** A receipt handle not deleted within 15 minutes has expired (visibility ≤ 5 minutes here): its message reappears. */
function forgetStaleHandles(handles: Map<string, { at: number }>, now: number): void {
  if (handles.size < 10_000) return;
  for (const [handle, { at }] of handles) if (now - at > 15 * 60_000) handles.delete(handle);
}

function reply(res: ServerResponse, status: number, text: string, type?: string | null): void {
  res.writeHead(status, { 'content-type': type ?? 'application/x-amz-json-1.0' });
  res.end(text);
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
