import { z } from 'zod';
import { type IotRuleEvent, iotRuleEventSchema } from '../ingest/iot-message.ts';
import type { HeldMessage } from '../ports/dead-letters.ts';
import { bodyForShow, type DeadLetterKind, type DeadLetterSummary, type RedrivePlan } from './summary.ts';

/**
 * Lambda's invocation record for an asynchronous invocation that failed all its attempts (the on-failure
 * destination of the IoT ingest function, infra/constructs/iot-ingest.ts), as the Lambda developer guide documents
 * it ("Capturing records of Lambda asynchronous invocations"). Not strict: Lambda may add fields.
 */
export const invocationRecordSchema = z.object({
  version: z.string(),
  /** When Lambda gave up. */
  timestamp: z.iso.datetime({ offset: true }),
  requestContext: z.object({
    requestId: z.string(),
    functionArn: z.string(),
    /** Why it gave up: `RetriesExhausted`, `EventAgeExceeded`, … */
    condition: z.string(),
    approximateInvokeCount: z.number().int().nonnegative(),
  }),
  /** The event the function was invoked with: here, the IoT rule event. */
  requestPayload: z.unknown(),
  responseContext: z
    .object({
      statusCode: z.number().optional(),
      executedVersion: z.string().optional(),
      functionError: z.string().optional(),
    })
    .optional(),
  /** The function's error (`errorType`, `errorMessage`), when it answered at all. */
  responsePayload: z.unknown().optional(),
});
export type InvocationRecord = z.infer<typeof invocationRecordSchema>;

/** The IoT on-failure queue: each message one device message the ingest function gave up on. */
export const iotFailures: DeadLetterKind<IotRuleEvent> = {
  describe: describeFailedInvocation,
  plan: planInvocationRedrive,
  show(message) {
    return { ...describeFailedInvocation(message), body: bodyForShow(message.body) };
  },
};

export function describeFailedInvocation(message: HeldMessage): DeadLetterSummary {
  const plan = planInvocationRedrive(message);
  const common = {
    id: message.messageId,
    kind: 'invocation' as const,
    eventIds: [],
    receives: message.receiveCount,
    redrivable: plan.ok,
    ...(!plan.ok && { notRedrivable: plan.why }),
  };
  const record = readRecord(message.body);
  if (typeof record === 'string') return { ...common, reason: record, deadLetteredAt: message.sentAt?.toISOString() };
  const ruleEvent = iotRuleEventSchema.safeParse(record.requestPayload);
  return {
    ...common,
    reason: failureReason(record),
    ...(ruleEvent.success && {
      group: `device:${ruleEvent.data.thing}`,
      topic: `audit/${ruleEvent.data.thing}/events`,
      acceptedAt: new Date(ruleEvent.data.receivedAt).toISOString(),
    }),
    deadLetteredAt: new Date(record.timestamp).toISOString(),
    originalId: record.requestContext.requestId,
  };
}

/** A redrive invokes the ingest function again with the rule event, which the record keeps as `requestPayload`. */
export function planInvocationRedrive(message: HeldMessage): RedrivePlan<IotRuleEvent> {
  const record = readRecord(message.body);
  if (typeof record === 'string') return { ok: false, why: record };
  const ruleEvent = iotRuleEventSchema.safeParse(record.requestPayload);
  if (!ruleEvent.success)
    return {
      ok: false,
      why: `its requestPayload is not an IoT rule event ({payload, thing, clientId, receivedAt}): ${ruleEvent.error.issues[0]?.message}`,
    };
  return { ok: true, action: ruleEvent.data };
}

/** `RetriesExhausted after 3 attempts: Error: the queue is unreachable`. */
function failureReason(record: InvocationRecord): string {
  const { condition, approximateInvokeCount } = record.requestContext;
  const response = record.responsePayload as { errorType?: unknown; errorMessage?: unknown } | undefined;
  const error = [response?.errorType, response?.errorMessage].filter((part) => typeof part === 'string').join(': ');
  const what = error || record.responseContext?.functionError;
  return `${condition} after ${approximateInvokeCount} attempt(s)${what ? `: ${what}` : ''}`;
}

function readRecord(body: string): InvocationRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'its body is not JSON, so not a Lambda invocation record';
  }
  const parsed = invocationRecordSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `its body is not a Lambda invocation record (${issue?.path.join('.') || 'body'}: ${issue?.message})`;
}
