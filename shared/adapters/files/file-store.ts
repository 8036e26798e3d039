import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { ObjectBody, ObjectInfo, ObjectStore } from '../../core/ports/object-store.ts';

/** The archive as a folder on this machine (`file://`, default `.data/archive`); DuckDB reads it directly. */
export class FileObjectStore implements ObjectStore {
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.url = pathToFileURL(this.root).href;
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    // Written beside the target, then renamed: a reader never sees half a file.
    const partial = `${target}.partial`;
    if ('file' in body) await moveFile(body.file, partial);
    else await pipeline(body, createWriteStream(partial));
    await rename(partial, target);
  }

  async get(key: string): Promise<Readable> {
    await stat(this.pathOf(key));
    return createReadStream(this.pathOf(key));
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    await this.walk(this.root, prefix, found);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const info = await stat(this.pathOf(key)).catch(() => undefined);
    return info?.isFile() ? { key, size: info.size } : undefined;
  }

  /** The local path of a key; refuses keys that would leave the archive folder. */
  pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`archive key "${key}" is outside ${this.root}`);
    return path;
  }

  private async walk(dir: string, prefix: string, found: ObjectInfo[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const key = relative(this.root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(path, prefix, found);
      } else if (key.startsWith(prefix) && !key.endsWith('.partial')) {
        found.push({ key, size: (await stat(path)).size });
      }
    }
  }
}

/** A rename when source and archive share a file system, else a copy. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
  }
}
