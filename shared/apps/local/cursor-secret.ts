import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_CURSOR_SECRET_BYTES } from '../../core/query/page-cursor.ts';

/**
 * The secret the local query API signs paging cursors with: generated once and kept in DATA_DIR/cursor-secret
 * (mode 600), as Secrets Manager keeps it on AWS, so cursors stay valid across restarts of one stack and are
 * refused by any other.
 */
export async function localCursorSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, 'cursor-secret');
  if (existsSync(file)) {
    const secret = (await readFile(file, 'utf8')).trim();
    if (Buffer.byteLength(secret) < MIN_CURSOR_SECRET_BYTES)
      throw new Error(`${file} holds fewer than ${MIN_CURSOR_SECRET_BYTES} bytes: delete it to generate a new secret`);
    return secret;
  }
  const secret = randomBytes(MIN_CURSOR_SECRET_BYTES).toString('base64url');
  // 'wx': never overwrite a secret another process wrote meanwhile.
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
