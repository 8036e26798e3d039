import type { IncomingHttpHeaders } from 'node:http';

/** An SQS JSON-protocol request body or answer. */
export type SqsBody = Record<string, unknown>;

export interface SqsAnswer {
  status: number;
  answer: SqsBody;
}

/** The in-memory SQS emulator, called in the endpoint's own thread (no HTTP between the journal and the queues). */
export interface SqsEmulator {
  /** Declares a queue as `server.createQueue` of fauxqs does; its URL is the emulator's name for it. */
  createQueue(name: string, attributes: Record<string, string>): { queueUrl: string; queueArn: string };
  /**
   * Runs one action (`SendMessage`, `ReceiveMessage`, …) as fauxqs' HTTP route would: its answer, or its SQS error
   * (`{__type, message}` with the error's status). Anything else it throws is thrown.
   */
  call(action: string, body: SqsBody, headers: IncomingHttpHeaders): Promise<SqsAnswer>;
  /** Ends long polls waiting on the queues (what fauxqs does on close). */
  stop(): void;
}

/** The pieces of fauxqs used here; not in its package exports, so typed here and checked when loaded. */
interface FauxqsStore {
  region?: string;
  createQueue(name: string, url: string, arn: string, attributes?: Record<string, string>): unknown;
  shutdown(): void;
}
interface FauxqsError {
  statusCode: number;
  toJSON(): SqsBody;
}
type FauxqsAction = (body: SqsBody, store: FauxqsStore, request: { headers: IncomingHttpHeaders }) => unknown;

/** The SQS actions fauxqs' app registers (fauxqs/dist/app.js), each in `sqs/actions/<camelCase>.js`. */
const ACTIONS = [
  'CreateQueue',
  'DeleteQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'PurgeQueue',
  'SendMessage',
  'ReceiveMessage',
  'DeleteMessage',
  'SendMessageBatch',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
] as const;

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** The emulator's queue URLs: a host of its own, parseable (fauxqs' `sqs.<region>.127.0.0.1:<port>` is not). */
const EMULATOR_ORIGIN = 'http://fauxqs.internal';

/**
 * fauxqs' SQS store and action handlers, without its fastify app: the proxy (durable-sqs.ts) already parsed the
 * request, so each action is a function call on that body. Measured on 2,000 rounds of a 10-entry send, a receive
 * and a 10-entry delete: about 1 s of CPU called directly against about 4.8 s over loopback HTTP, and as much
 * through fastify's `inject`. The handlers are fauxqs' own, so validation and errors are the emulator's.
 */
export async function startSqsEmulator(): Promise<SqsEmulator> {
  const dist = import.meta.resolve('fauxqs');
  const load = (path: string) => import(new URL(path, dist).href) as Promise<Record<string, unknown>>;
  const { SqsStore, SqsError } = {
    ...(await load('./sqs/sqsStore.js')),
    ...(await load('./common/errors.js')),
  } as { SqsStore?: new () => FauxqsStore; SqsError?: new (...args: never[]) => FauxqsError };
  if (typeof SqsStore !== 'function' || typeof SqsError !== 'function')
    throw new Error('fauxqs changed: no SqsStore or SqsError where this endpoint expects them');
  const handlers = new Map<string, FauxqsAction>();
  for (const action of ACTIONS) {
    const name = action[0]!.toLowerCase() + action.slice(1);
    const handler = (await load(`./sqs/actions/${name}.js`))[name];
    if (typeof handler !== 'function') throw new Error(`fauxqs changed: no handler for ${action}`);
    handlers.set(action, handler as FauxqsAction);
  }
  const store = new SqsStore();
  store.region = REGION;
  return {
    createQueue(name, attributes) {
      const queueUrl = `${EMULATOR_ORIGIN}/${ACCOUNT}/${name}`;
      const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
      store.createQueue(name, queueUrl, queueArn, attributes);
      return { queueUrl, queueArn };
    },
    async call(action, body, headers) {
      const handler = handlers.get(action);
      // fauxqs' router answers an unknown action so.
      if (!handler)
        return {
          status: 400,
          answer: { __type: 'com.amazonaws.sqs#InvalidAction', message: `Unknown action: ${action}` },
        };
      try {
        return { status: 200, answer: ((await handler(body, store, { headers })) ?? {}) as SqsBody };
      } catch (error) {
        if (error instanceof SqsError) return { status: error.statusCode, answer: error.toJSON() };
        throw error;
      }
    },
    stop: () => store.shutdown(),
  };
}
