import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_WEBHOOK_KEY_BYTES } from '../../core/streams/webhook.ts';
import type { SinkSecrets } from '../streams/clients.ts';

/** `SINK_SECRET_<NAME>`: a sink's secret in the environment, its name upper-cased with "-" as "_". */
export function sinkSecretVariable(sink: string): string {
  return `SINK_SECRET_${sink.toUpperCase().replaceAll('-', '_')}`;
}

/** Where the local stack keeps a sink's secret when the environment has none: DATA_DIR/sink-secrets/<name>. */
export function sinkSecretFile(dataDir: string, sink: string): string {
  return join(dataDir, 'sink-secrets', sink);
}

/**
 * The local sinks' secrets, as Secrets Manager holds them on AWS: `SINK_SECRET_<NAME>` when set, else the file
 * DATA_DIR/sink-secrets/<name> (mode 600). A webhook without either gets a key generated into that file once (give
 * it to the receiver); a Splunk sink without either fails, naming both places for its HEC token.
 */
export function localSinkSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): SinkSecrets {
  return async (sink) => {
    const variable = sinkSecretVariable(sink.name);
    const fromEnv = env[variable]?.trim();
    if (fromEnv) return fromEnv;
    const file = sinkSecretFile(dataDir, sink.name);
    if (existsSync(file)) {
      const secret = (await readFile(file, 'utf8')).trim();
      if (secret) return secret;
    }
    if (sink.kind !== 'webhook')
      throw new Error(`sink ${sink.name} needs its ${sink.kind} token: set ${variable} or write it to ${file}`);
    await mkdir(join(dataDir, 'sink-secrets'), { recursive: true, mode: 0o700 });
    const key = randomBytes(MIN_WEBHOOK_KEY_BYTES).toString('base64url');
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  };
}
