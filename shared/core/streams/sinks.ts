import { z } from 'zod';

/**
 * The kinds of sink the forwarder delivers to (docs/sinks.md): OTLP/HTTP logs in protobuf (`otlp`, the OTLP default)
 * or JSON (`otlp-json`), Splunk's HTTP Event Collector (`splunk`) and a generic HMAC-signed webhook (`webhook`).
 */
export const SINK_KINDS = ['otlp', 'otlp-json', 'splunk', 'webhook'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/** Kinds that need a secret: the HEC token, the webhook's HMAC key. */
export const SECRET_SINK_KINDS: readonly SinkKind[] = ['splunk', 'webhook'];

/** A sink's name: the cursor's key in PostgreSQL, the metrics' `sink` dimension, part of secret names and file names. */
const sinkNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a sink name is 1-32 lower-case letters, digits or "-", starting with a letter');

const sinkUrlSchema = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' });

export const sinkSpecSchema = z.strictObject({
  name: sinkNameSchema,
  kind: z.enum(SINK_KINDS),
  url: sinkUrlSchema,
});
export type SinkSpec = z.infer<typeof sinkSpecSchema>;

/** What a SINKS entry may look like: `kind=url` (named after its kind) or `kind:name=url`. */
export const SINKS_FORMAT = 'kind[:name]=url,… with kind otlp, otlp-json, splunk or webhook';

/**
 * Parses `SINKS` (and the `sinks` CDK context): a comma list of `kind[:name]=url`, e.g.
 * `otlp=http://127.0.0.1:4318,webhook:siem=https://siem.example/hook`. OTLP URLs are the collector's base: the
 * forwarder posts to `/v1/logs` under it. Names are unique; empty text is no sink. Throws one error naming every bad
 * entry.
 */
export function parseSinks(text: string | undefined): SinkSpec[] {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const problems: string[] = [];
  const sinks: SinkSpec[] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) {
      problems.push(`"${entry}" is not kind[:name]=url`);
      continue;
    }
    const [kind = '', name = kind] = entry.slice(0, at).split(':');
    const parsed = sinkSpecSchema.safeParse({ name, kind, url: entry.slice(at + 1) });
    if (!parsed.success) {
      problems.push(`"${entry}": ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      continue;
    }
    if (sinks.some((sink) => sink.name === parsed.data.name)) {
      problems.push(`"${entry}": another sink is already named ${parsed.data.name} (name it: kind:name=url)`);
      continue;
    }
    sinks.push(parsed.data);
  }
  if (problems.length > 0) throw new Error(`${problems.join('; ')} (${SINKS_FORMAT})`);
  return sinks;
}

/** SINKS' text as a zod field (the local variable, the function's, the `sinks` CDK context): the parsed sinks. */
export const sinksTextSchema = z
  .string()
  .optional()
  .transform((text, ctx) => {
    try {
      return parseSinks(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
