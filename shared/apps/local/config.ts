import { z } from 'zod';
import { parseExtraEventTypes } from '../../core/domain/catalog.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { loadConfig, parseConfig } from '../runtime/config.ts';
import { sealConfigShape } from '../sealer/config.ts';
import { forwardConfigShape } from '../streams/config.ts';
import { parseLocalDevices } from './devices.ts';
import { parseLocalTokens } from './tokens.ts';

const port = (fallback: number, what: string) =>
  z.coerce.number().int().min(0).max(65535).default(fallback).describe(what);

/** An empty variable (`DATABASE_URL=`) counts as unset. */
const optionalText = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

/** The default bound of the local backlog: bodies accepted and not yet written (they are held in memory). */
export const DEFAULT_LOCAL_QUEUE_MAX_MB = 64;
/** How often the local sealer signs a checkpoint (AWS: every minute). */
export const DEFAULT_SEAL_INTERVAL_MS = 5000;

const localConfigShape = {
  DATABASE_URL: optionalText.describe('PostgreSQL to use instead of the embedded one'),
  PG_PORT: port(0, 'port of the embedded PostgreSQL (0 = a free one)'),
  MQTT_URL: optionalText.describe('MQTT broker to use instead of the embedded one'),
  MQTT_PORT: port(1883, 'port of the embedded MQTT broker'),
  PORT: port(3000, 'HTTP port of the local API'),
  DATA_DIR: z.string().min(1).default('.data').describe('where embedded PostgreSQL data and the queue journal live'),
  LOCAL_QUEUE_MAX_MB: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_LOCAL_QUEUE_MAX_MB)
    .describe('the most MiB of events the local queue holds unwritten; past it ingest answers 503 with Retry-After'),
  LOCAL_TOKENS: optionalText.describe('token=user:role,… for the local API'),
  LOCAL_DEVICES: optionalText.describe('thing:secret,… the devices the embedded MQTT broker lets connect'),
  DB_WRITER_PASSWORD: optionalText.describe("audit_writer's password (default: generated, kept in DATA_DIR)"),
  DB_READER_PASSWORD: optionalText.describe("audit_reader's password (default: generated, kept in DATA_DIR)"),
  DB_SEALER_PASSWORD: optionalText.describe("audit_sealer's password (default: generated, kept in DATA_DIR)"),
  DB_FORWARDER_PASSWORD: optionalText.describe("audit_forwarder's password (default: generated, kept in DATA_DIR)"),
  ...sealConfigShape,
  SEAL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(DEFAULT_SEAL_INTERVAL_MS)
    .describe('milliseconds between two sealing rounds, each writing a signed checkpoint'),
  ...forwardConfigShape,
  SINK_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(1000)
    .describe('milliseconds between two forwarding rounds to the SINKS (AWS: every minute)'),
};

/** Everything `npm start` reads from the environment (README: Configuration). */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(localConfigShape, env);
}
export type LocalConfig = ReturnType<typeof loadLocalConfig>;

/**
 * Everything `trail start` reads, checked before any service starts: the stack's variables, LOCAL_TOKENS, LOCAL_DEVICES,
 * EXTRA_EVENT_TYPES, the maintenance's retention and archive settings, and ports that would clash with each other.
 * Throws one error that names every bad variable (what is wrong, what it is for).
 */
export function loadStartConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const local = parseConfig(localConfigShape, env);
  // The stack defaults ARCHIVE_URL to DATA_DIR's archive folder (apps/local/maintenance.ts).
  const lifecycle = parseConfig(lifecycleConfigShape, { ...env, ARCHIVE_URL: env.ARCHIVE_URL ?? 'file://archive' });
  const problems = [...local.problems, ...lifecycle.problems];
  const archiveProblem = env.ARCHIVE_URL ? archiveUrlProblem(env.ARCHIVE_URL) : undefined;
  if (archiveProblem) problems.push(archiveProblem);
  const describe = (name: string, what: string | undefined, check: () => unknown) => {
    try {
      check();
    } catch (error) {
      const why = (error as Error).message.replace(new RegExp(`^${name}: `), '');
      problems.push(`${name} is invalid (${why})${what ? `: ${what}` : ''}`);
    }
  };
  describe('LOCAL_TOKENS', localConfigShape.LOCAL_TOKENS.description, () => parseLocalTokens(env.LOCAL_TOKENS));
  describe('LOCAL_DEVICES', localConfigShape.LOCAL_DEVICES.description, () => parseLocalDevices(env.LOCAL_DEVICES));
  describe('EXTRA_EVENT_TYPES', 'extra event types, name:SEVERITY,…', () =>
    parseExtraEventTypes(env.EXTRA_EVENT_TYPES),
  );
  if (local.data) problems.push(...portClashes(local.data));
  if (problems.length > 0 || !local.data)
    throw new Error(`configuration error, nothing was started:\n  ${problems.join('\n  ')}`);
  return local.data;
}

/** ARCHIVE_URL is s3://bucket/prefix, file://path or a plain path (apps/archive/store-from-url.ts). */
function archiveUrlProblem(url: string): string | undefined {
  const what = lifecycleConfigShape.ARCHIVE_URL.description;
  if (url.startsWith('s3://') && !url.slice('s3://'.length).split('/')[0])
    return `ARCHIVE_URL is invalid (${url} names no bucket): ${what}`;
  if (!/^(s3|file):\/\//.test(url) && /^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    return `ARCHIVE_URL is invalid (${url}: only s3:// and file:// are supported): ${what}`;
  return undefined;
}

/** Two of the stack's own listeners on one fixed port: the second could never start. */
function portClashes(config: LocalConfig): string[] {
  const ports: [string, number][] = [['PORT', config.PORT]];
  if (!config.MQTT_URL) ports.push(['MQTT_PORT', config.MQTT_PORT]);
  if (!config.DATABASE_URL) ports.push(['PG_PORT', config.PG_PORT]);
  const problems: string[] = [];
  ports.forEach(([name, value], i) => {
    const earlier = ports.slice(0, i).find(([, other]) => value !== 0 && other === value);
    if (earlier) problems.push(`${name} is invalid (${value} is also ${earlier[0]}): set one of them to another port`);
  });
  return problems;
}
