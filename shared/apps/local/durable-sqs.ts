import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { JournaledMessage, QueueJournal } from './queue-journal.ts';
import type { SqsAnswer, SqsBody, SqsEmulator } from './sqs-emulator.ts';

/**
 * The local SQS endpoint's durable front: an SQS JSON-protocol server in front of the in-memory emulator (fauxqs,
 * called in-process: sqs-emulator.ts). Sends are journaled and fsync'd before they reach the emulator, so a send
 * answered 200 survives `kill -9`; deletes ack the journal; a send to a bounded queue whose backlog would pass its
 * bound is refused as SQS refuses a throttled request, and the ingest handler answers 503 with Retry-After, as it
 * does for any queue failure.
 */
export interface DurableSqsOptions {
  emulator: Pick<SqsEmulator, 'call'>;
  /** Queue name → the emulator's URL for it. */
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

type Body = SqsBody;

export async function startDurableSqs({ emulator, upstreamQueueUrls, journal, bounds, port = 0 }: DurableSqsOptions) {
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
  /** The journal entries a deleted message carried (to ack), none if the handle is unknown. */
  const deleted = (receiptHandle: string): readonly number[] => {
    const received = messageOf.get(receiptHandle);
    if (!received) return [];
    messageOf.delete(receiptHandle);
    const now = Date.now();
    deletedAt.set(received.messageId, now);
    forgetOlderThan(deletedAt, now - DEDUPLICATION_WINDOW_MS - 60_000);
    const seqs = entriesOf.get(received.messageId);
    entriesOf.delete(received.messageId);
    return seqs ?? [];
  };

  /** Hands the request to the emulator, with its URL for the queue (the body otherwise as parsed). */
  const forward = (action: string, headers: IncomingMessage['headers'], body: Body): Promise<SqsAnswer> =>
    emulator.call(
      action,
      typeof body.QueueUrl === 'string' ? { ...body, QueueUrl: upstream(body.QueueUrl) } : body,
      headers,
    );
  const upstream = (queueUrl: string) => upstreamQueueUrls.get(queueName(queueUrl)) ?? queueUrl;

  async function handle(req: IncomingMessage, res: ServerResponse, origin: string) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.replace(/^AmazonSQS\./, '');
    const body = JSON.parse((await readAll(req)) || '{}') as Body;
    const queue = typeof body.QueueUrl === 'string' ? queueName(body.QueueUrl) : '';

    if (action === 'SendMessage' || action === 'SendMessageBatch') {
      const entries = action === 'SendMessage' ? [body] : ((body.Entries as Body[]) ?? []);
      const messages = entries.map(journaled);
      const bound = bounds.get(queue);
      const adding = messages.reduce((sum, m) => sum + Buffer.byteLength(m.MessageBody), 0);
      if (bound !== undefined && journal.backlogBytes(queue) + adding > bound)
        return reply(res, 400, throttled(queue, bound));
      const seqs = await journal.append(queue, messages);
      let result: SqsAnswer;
      try {
        result = await forward(action, req.headers, body);
      } catch (error) {
        journal.ack(seqs);
        throw error;
      }
      const { status, answer } = result;
      if (status !== 200) journal.ack(seqs);
      else if (action === 'SendMessage') remember(String(answer.MessageId), seqs[0]!);
      else {
        const successful = (answer.Successful as { Id: string; MessageId: string }[] | undefined) ?? [];
        const seqById = new Map(entries.map((e, i) => [e.Id, seqs[i]!]));
        for (const ok of successful) remember(ok.MessageId, seqById.get(ok.Id)!);
        const sent = new Set(successful.map((ok) => seqById.get(ok.Id)));
        journal.ack(seqs.filter((seq) => !sent.has(seq)));
      }
      return reply(res, status, JSON.stringify(answer));
    }

    const { status, answer } = await forward(action, req.headers, body);
    if (status === 200) {
      if (action === 'ReceiveMessage') {
        const now = Date.now();
        for (const m of (answer.Messages as { MessageId: string; ReceiptHandle: string }[]) ?? [])
          messageOf.set(m.ReceiptHandle, { messageId: m.MessageId, at: now });
        forgetStaleHandles(messageOf, now);
      } else if (action === 'DeleteMessage') journal.ack(deleted(String(body.ReceiptHandle)));
      else if (action === 'DeleteMessageBatch') {
        // One ack line for the batch.
        const handleById = new Map(((body.Entries as Body[]) ?? []).map((e) => [e.Id, String(e.ReceiptHandle)]));
        journal.ack(
          ((answer.Successful as { Id: string }[]) ?? []).flatMap((ok) => deleted(handleById.get(ok.Id) ?? '')),
        );
      } else if (action === 'GetQueueUrl' && typeof answer.QueueUrl === 'string')
        return reply(res, 200, JSON.stringify({ ...answer, QueueUrl: ours(origin, answer.QueueUrl) }));
      else if (action === 'ListQueues' && Array.isArray(answer.QueueUrls))
        return reply(
          res,
          200,
          JSON.stringify({ ...answer, QueueUrls: answer.QueueUrls.map((url: string) => ours(origin, url)) }),
        );
    }
    return reply(res, status, JSON.stringify(answer));
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
      await journal.flush();
    },
  } satisfies DurableSqs;
}

/** What a send entry carries, as the journal keeps it (and a replay sends it again); its Id is the request's. */
function journaled(entry: Body): JournaledMessage {
  const message: JournaledMessage = { MessageBody: String(entry.MessageBody ?? '') };
  if (typeof entry.MessageGroupId === 'string') message.MessageGroupId = entry.MessageGroupId;
  if (typeof entry.MessageDeduplicationId === 'string') message.MessageDeduplicationId = entry.MessageDeduplicationId;
  if (entry.MessageAttributes !== undefined)
    message.MessageAttributes = entry.MessageAttributes as Record<string, unknown>;
  return message;
}

/** The queue a URL names: its last path segment (as a string: no URL parsed per request). */
export function queueName(queueUrl: string): string {
  const path = queueUrl.replace(/[?#].*$/s, '');
  return path.slice(path.lastIndexOf('/') + 1);
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

/** One write: with its length given, the answer is not sent chunked (writeHead would otherwise choose chunked). */
function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, ['content-type', 'application/x-amz-json-1.0', 'content-length', Buffer.byteLength(text)]);
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}
