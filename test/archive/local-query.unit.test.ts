import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArchiveQuery } from '../../shared/adapters/duckdb/local-query.ts';
import type { ArchiveQueryEngine } from '../../shared/core/ports/archive-query.ts';

let dir: string;
let archive: string;
let engine: ArchiveQueryEngine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-readonly-'));
  archive = join(dir, 'archive');
  await mkdir(archive, { recursive: true });
  await writeFile(join(archive, 'inside.csv'), 'a,b\n1,2\n');
  await writeFile(join(dir, 'outside.csv'), 'secret\n42\n');
  engine = await openLocalArchiveQuery(archive, join(dir, 'work'));
});
afterAll(async () => {
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('archive SQL runs read-only', () => {
  it('answers a SELECT on the events view, with parameters', async () => {
    expect(await engine.run('SELECT count(*) AS n FROM events WHERE type = ?', ['robot.online'])).toEqual({
      columns: ['n'],
      rows: [['0']],
    });
    expect((await engine.run(`SELECT b FROM read_csv('${join(archive, 'inside.csv')}')`)).rows).toEqual([['2']]);
  });

  it('refuses COPY … TO, and writes no file, outside the archive or in it', async () => {
    const outside = join(dir, 'copied.csv');
    await expect(engine.run(`COPY (SELECT 1) TO '${outside}'`)).rejects.toThrow(/disabled by configuration/);
    expect(existsSync(outside)).toBe(false);
    const inside = join(archive, 'planted.csv');
    await expect(engine.run(`COPY (SELECT 1) TO '${inside}'`)).rejects.toThrow(
      /read-only: only SELECT statements run, and this is COPY/,
    );
    expect(existsSync(inside)).toBe(false);
  });

  it('refuses reading files outside the archive', async () => {
    await expect(engine.run(`SELECT * FROM read_csv('/etc/passwd', sep = ':')`)).rejects.toThrow(
      /Cannot access file "\/etc\/passwd"/,
    );
    await expect(engine.run(`SELECT * FROM read_csv('${join(archive, '..', 'outside.csv')}')`)).rejects.toThrow(
      /disabled by configuration/,
    );
  });

  it('refuses statements that are not one SELECT: SET cannot lift the lock, nothing is attached or created', async () => {
    await expect(engine.run('SET enable_external_access = true')).rejects.toThrow(/only SELECT statements run/);
    await expect(engine.run(`ATTACH '${join(dir, 'x.duckdb')}'`)).rejects.toThrow(/this is ATTACH/);
    await expect(engine.run('CREATE TABLE t AS SELECT 1')).rejects.toThrow(/this is CREATE/);
    await expect(engine.run('SELECT 1; SELECT 2')).rejects.toThrow(/one SQL statement at a time; this is 2/);
    expect(existsSync(join(dir, 'x.duckdb'))).toBe(false);
  });
});
