import { z } from 'zod';
import { loadConfig } from '../runtime/config.ts';

const port = (fallback: number, what: string) =>
  z.coerce.number().int().min(0).max(65535).default(fallback).describe(what);

/** An empty variable (`DATABASE_URL=`) counts as unset. */
const optionalText = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

/** Everything `npm start` reads from the environment (README: Configuration). */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(
    {
      DATABASE_URL: optionalText.describe('PostgreSQL to use instead of the embedded one'),
      PG_PORT: port(0, 'port of the embedded PostgreSQL (0 = a free one)'),
      MQTT_URL: optionalText.describe('MQTT broker to use instead of the embedded one'),
      MQTT_PORT: port(1883, 'port of the embedded MQTT broker'),
      PORT: port(3000, 'HTTP port of the local API'),
      DATA_DIR: z.string().min(1).default('.data').describe('where embedded PostgreSQL data and the queue spool live'),
      LOCAL_TOKENS: optionalText.describe('token=user:role,… for the local API'),
      DB_WRITER_PASSWORD: optionalText.describe("audit_writer's password (default: generated, kept in DATA_DIR)"),
      DB_READER_PASSWORD: optionalText.describe("audit_reader's password (default: generated, kept in DATA_DIR)"),
    },
    env,
  );
}
export type LocalConfig = ReturnType<typeof loadLocalConfig>;
