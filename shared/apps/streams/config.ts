import { z } from 'zod';
import { jsonText } from '../../core/domain/json-text.ts';
import { SINKS_FORMAT, sinksTextSchema } from '../../core/streams/sinks.ts';

/** `SINKS`, parsed: a bad entry fails start-up (or the function's first invocation) naming the variable and the entry. */
export const sinksVariable = sinksTextSchema.describe(
  `the sinks every sealed event is streamed to: ${SINKS_FORMAT} (docs/sinks.md)`,
);

/** What every forwarder reads, on AWS and in the local stack. */
export const forwardConfigShape = {
  SINKS: sinksVariable,
  SINK_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('events per request to a sink (a batch a sink refuses is sent again one event per request)'),
};

const NOT_SECRET_ARNS = 'is not a JSON object of sink name → secret ARN';

/** The forwarder function's settings: the sinks, and where their secrets are (Secrets Manager ARNs, by sink name). */
export const forwarderConfigShape = {
  ...forwardConfigShape,
  SINK_SECRET_ARNS: jsonText(
    z.record(z.string(), z.string({ error: NOT_SECRET_ARNS }).min(1, NOT_SECRET_ARNS), { error: NOT_SECRET_ARNS }),
    NOT_SECRET_ARNS,
  )
    .default({})
    .describe("each splunk and webhook sink's secret in Secrets Manager (the HEC token, the HMAC key), by sink name"),
  LOG_ID: z.string().min(1).max(128).default('fleet-audit-trail').describe('the OTLP service.name of the records'),
};
