import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AthenaArchiveQuery } from '../../shared/adapters/athena/athena-query.ts';
import { openLocalArchiveQuery } from '../../shared/adapters/duckdb/local-query.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { type LocalApi, startLocalApi } from '../../shared/apps/local/http-server.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { ArchiveQueryEngine } from '../../shared/core/ports/archive-query.ts';
import { type EventProof, eventProofSchema, verifyEventProof } from '../../shared/core/tamper/proof.ts';
import { insertEvents, monthEvents } from '../lifecycle/fixture.ts';
import { queryApi } from '../query/api-support.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';
import { sealAll, signerOf } from '../support/seal-all.ts';

const NOW = new Date('2026-05-10T12:00:00.000Z');
const ROUTE = 'GET /events/{id}/proof';

let db: TestDatabase;
let reader: pg.Pool;
let dir: string;
let store: FileObjectStore;
let api: ReturnType<typeof queryApi>;
let server: LocalApi;
let publicKey: string;

const robot = storedEvent({ occurredAt: '2026-05-09T10:00:00.000Z', payload: { reason: 'boot', speed: 0.5 } });
const login = storedEvent({
  type: 'user.login',
  entity: { type: 'user', id: 'bob' },
  occurredAt: '2026-05-09T11:00:00.000Z',
  actor: { type: 'user', id: 'bob' },
  source: { channel: 'http', principal: 'bob', ip: '10.0.0.7' },
});
/** Of a month maintenance archives (2024-01, past 13 months of retention at NOW). */
const [archived] = monthEvents({ year: 2024, month: 1 }, 5);

const prove = (id: string, call: { role?: string; query?: Record<string, string> } = {}) =>
  api.call(ROUTE, { ...call, pathParameters: { id } });

beforeAll(async () => {
  db = await createTestDatabase('event_proof');
  dir = await mkdtemp(join(tmpdir(), 'event-proof-'));
  store = new FileObjectStore(join(dir, 'archive'));
  await insertEvents(db.pool, [robot, login, ...monthEvents({ year: 2024, month: 1 }, 5)], { sealed: false });
  await sealAll(db.pool, store);
  const result = await runMaintenance(
    { pool: db.pool, store },
    { now: NOW, retentionMonths: 13, premakeMonths: 0, workDir: join(dir, 'work'), sealWaitMs: 0 },
  );
  expect(result.dropped).toEqual(['2024-01']);
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  api = queryApi(reader, () => NOW, {
    archive: () => openLocalArchiveQuery(store.root, join(dir, 'query')),
    sealRetryAfterSeconds: 7,
  });
  server = await startLocalApi({
    port: 0,
    tokens: new Map([
      ['proof-auditor-token', { user: 'aude', role: 'auditor' }],
      ['proof-device-token', { user: 'r-9', role: 'device' }],
    ]),
    routes: { [ROUTE]: api.handler },
  });
  publicKey = join(dir, 'log.pub.pem');
  await writeFile(publicKey, signerOf(db.pool).pem);
});
afterAll(async () => {
  await server?.stop();
  await reader?.end();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /events/{id}/proof', () => {
  it('proves a stored event against the newest checkpoint, and the proof verifies offline', async () => {
    const { status, json } = await prove(robot.id);
    expect(status).toBe(200);
    const proof = eventProofSchema.parse(json);
    expect(proof.event).toEqual(robot);
    const latest = await db.pool.query('SELECT max(number)::int AS n, max(tree_size)::int AS size FROM checkpoints');
    expect(proof.checkpoint.body).toMatchObject({ number: latest.rows[0].n, treeSize: latest.rows[0].size });
    expect(verifyEventProof(proof, signerOf(db.pool).pem)).toEqual({ ok: true });
  });

  it('proves an event whose month is archived, read from the archive', async () => {
    const { status, json } = await prove(archived!.id);
    expect(status).toBe(200);
    const proof = eventProofSchema.parse(json);
    expect(proof.event).toEqual(archived);
    expect(verifyEventProof(proof, signerOf(db.pool).pem)).toEqual({ ok: true });
  });

  it('proves an archived event through Athena as the Lambda wires it (ATHENA_WORKGROUP, GLUE_DATABASE)', async () => {
    // Athena mocked by the local engine doing the same job: each query it is sent runs on DuckDB over the archive.
    const athena = mockClient(AthenaClient);
    const results = new Map<string, Awaited<ReturnType<ArchiveQueryEngine['run']>>>();
    athena.on(StartQueryExecutionCommand).callsFake(async (input) => {
      const engine = await openLocalArchiveQuery(store.root, join(dir, 'athena'));
      try {
        const params = (input.ExecutionParameters ?? []).map((p: string) => p.slice(1, -1).replaceAll("''", "'"));
        results.set('q-proof', await engine.run(input.QueryString, params));
      } finally {
        await engine.close();
      }
      expect(input).toMatchObject({ WorkGroup: 'wg', QueryExecutionContext: { Database: 'db' } });
      return { QueryExecutionId: 'q-proof' };
    });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).callsFake(async ({ QueryExecutionId }) => {
      const { columns, rows } = results.get(QueryExecutionId)!;
      const data = (values: (string | null)[]) => ({
        Data: values.map((v) => (v === null ? {} : { VarCharValue: v })),
      });
      return {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name, Type: 'varchar' })) },
          Rows: [data(columns), ...rows.map(data)],
        },
      };
    });
    try {
      const client = new AthenaClient({ region: 'eu-west-1' });
      const onAws = queryApi(reader, () => NOW, {
        archive: async () => new AthenaArchiveQuery(client, { workGroup: 'wg', database: 'db', sleep: async () => {} }),
      });
      const { status, json } = await onAws.call(ROUTE, { pathParameters: { id: archived!.id } });
      expect(status).toBe(200);
      expect(eventProofSchema.parse(json).event).toEqual(archived);
      expect(verifyEventProof(json, signerOf(db.pool).pem)).toEqual({ ok: true });
    } finally {
      athena.restore();
    }
  });

  it('says so (503) when the event is archived and the API cannot read the archive', async () => {
    const blind = queryApi(reader, () => NOW);
    const { status, json } = await blind.call(ROUTE, { pathParameters: { id: archived!.id } });
    expect(status).toBe(503);
    expect(json.error).toMatch(/is archived, and this API is not set up to read the archive/);
  });

  it('404 for an unknown id; 400 for a malformed one or any query parameter', async () => {
    expect((await prove('0196b3a0-0000-7000-8000-00000000dead')).status).toBe(404);
    expect(await prove('not-a-uuid')).toMatchObject({ status: 400, json: { parameter: 'id' } });
    expect(await prove(robot.id, { query: { treeSize: '3' } })).toMatchObject({
      status: 400,
      json: { parameter: 'treeSize' },
    });
  });

  it('409 with Retry-After for an event stored but not sealed yet; a proof once it is', async () => {
    const late = storedEvent({ occurredAt: '2026-05-09T12:00:00.000Z' });
    await new PgEventStore(db.pool).insert([late]);
    const before = await prove(late.id);
    expect(before.status).toBe(409);
    expect(before.result.headers?.['retry-after']).toBe('7');
    expect(before.json.error).toBe(`event ${late.id} is stored but not sealed yet: retry after the next checkpoint`);
    await sealAll(db.pool, store);
    expect((await prove(late.id)).status).toBe(200);
  });

  it('an operator may have the proof of what they may read, and of nothing hidden from them', async () => {
    expect((await prove(robot.id, { role: 'operator' })).status).toBe(200);
    expect((await prove(login.id, { role: 'operator' })).status).toBe(404);
    expect((await prove(login.id, { role: 'auditor' })).status).toBe(200);
  });

  it('records every read before it answers, with the id and the rows it returned', async () => {
    const before = api.queue.events().length;
    await prove(robot.id, { role: 'operator' });
    await prove(login.id, { role: 'operator' });
    const records = api.queue.events().slice(before);
    expect(records.map((r) => [r.type, r.payload])).toEqual([
      ['audit.accessed', { route: ROUTE, filters: { id: robot.id }, rows: 1 }],
      ['audit.accessed', { route: ROUTE, filters: { id: login.id }, rows: 0 }],
    ]);
  });
});

describe('trail prove and trail verify-proof', () => {
  const trail = (...argv: string[]) => {
    vi.stubEnv('TRAIL_URL', server.url);
    vi.stubEnv('TRAIL_TOKEN', 'proof-auditor-token');
    return runTrail(argv);
  };
  /** The proof of `event`, fetched with trail prove, then changed by `edit` and saved. */
  const proofFile = async (event: StoredEvent, edit: (proof: EventProof) => void = () => {}) => {
    const file = join(dir, `proof-${event.id}.json`);
    expect(await trail('prove', event.id, '--out', file)).toMatchObject({ code: 0 });
    const proof = JSON.parse(await readFile(file, 'utf8')) as EventProof;
    edit(proof);
    const edited = join(dir, `edited-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(edited, JSON.stringify(proof));
    return edited;
  };

  it('trail prove saves the proof through the API (audited), and trail verify-proof finds it valid', async () => {
    const file = join(dir, 'robot.json');
    const { code, out } = await trail('prove', robot.id, '--out', file);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`proof of event ${robot.id} \\(leaf \\d+ of \\d+, checkpoint \\d+\\) written to`));
    expect(api.queue.events().at(-1)).toMatchObject({
      type: 'audit.accessed',
      actor: { type: 'user', id: 'aude' },
      payload: { route: ROUTE, filters: { id: robot.id }, rows: 1 },
    });
    const verified = await runTrail(['verify-proof', file, '--public-key', publicKey]);
    expect(verified).toMatchObject({ code: 0, err: '' });
    expect(verified.out).toMatch(new RegExp(`^valid: event ${robot.id} \\(robot.online, 2026-05-09T10:00:00.000Z\\)`));
  });

  it('prints the proof without --out; an archived event proves too', async () => {
    const { code, out } = await trail('prove', archived!.id);
    expect(code).toBe(0);
    const file = join(dir, 'archived.json');
    await writeFile(file, out);
    expect(await runTrail(['verify-proof', file, '--public-key', publicKey])).toMatchObject({ code: 0 });
  });

  it('fails with the API’s answer: unknown id, a role that may not read', async () => {
    const unknown = await trail('prove', '0196b3a0-0000-7000-8000-00000000beef');
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.err).toMatch(/^trail prove: 404 .*no event/);
    vi.stubEnv('TRAIL_TOKEN', 'proof-device-token');
    expect((await runTrail(['prove', robot.id, '--url', server.url])).err).toMatch(/^trail prove: 403/);
  });

  it.each<[string, (proof: EventProof) => void, string]>([
    [
      'an event field changed',
      (p) => {
        p.event.payload['speed'] = 5;
      },
      'leaf does not match the event',
    ],
    [
      'the stored leaf hash changed',
      (p) => {
        p.leafHash = 'ab'.repeat(32);
      },
      'leaf does not match the event',
    ],
    [
      'a path element changed',
      (p) => {
        p.auditPath[0] = p.auditPath[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      },
      "path does not lead to the checkpoint's root",
    ],
    [
      'the leaf moved',
      (p) => {
        p.leafIndex = p.leafIndex === 0 ? 1 : p.leafIndex - 1;
      },
      "path does not lead to the checkpoint's root",
    ],
    [
      'the checkpoint signature changed',
      (p) => {
        const signature = Buffer.from(p.checkpoint.signature, 'base64');
        signature[signature.length - 1]! ^= 1;
        p.checkpoint.signature = signature.toString('base64');
      },
      'signature is not valid for this public key',
    ],
    [
      'the checkpoint body changed',
      (p) => {
        p.checkpoint.body.issuedAt = '2030-01-01T00:00:00.000Z';
      },
      'signature is not valid for this public key',
    ],
    [
      'the tree size changed',
      (p) => {
        p.treeSize += 1;
      },
      /checkpoint is for tree size \d+, proof for \d+/.source,
    ],
  ])('a proof with %s is invalid, for the right reason (exit 1)', async (_, edit, reason) => {
    const file = await proofFile(robot, edit);
    const { code, err, out } = await runTrail(['verify-proof', file, '--public-key', publicKey]);
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toMatch(new RegExp(`^trail verify-proof: invalid: ${reason}\\n$`));
  });

  it('a proof checked with another key is invalid; a file that is not a proof too', async () => {
    const file = await proofFile(robot);
    const other = join(dir, 'other.pub.pem');
    const { publicKey: otherKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(other, otherKey.export({ type: 'spki', format: 'pem' }));
    expect(await runTrail(['verify-proof', file, '--public-key', other])).toMatchObject({
      code: 1,
      err: 'trail verify-proof: invalid: signature is not valid for this public key\n',
    });
    const notProof = join(dir, 'not-proof.json');
    await writeFile(notProof, JSON.stringify({ format: 'fleet-audit-trail/proof/v1', event: {} }));
    expect((await runTrail(['verify-proof', notProof, '--public-key', publicKey])).err).toMatch(
      /^trail verify-proof: invalid: .* is not a proof: event\.id: /,
    );
  });

  it('defaults the key to DATA_DIR/log-signing-key.pub.pem; without one, or without a file, it is a usage error', async () => {
    const file = await proofFile(robot);
    const dataDir = join(dir, 'data');
    vi.stubEnv('DATA_DIR', dataDir);
    const missing = await runTrail(['verify-proof', file]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`give --public-key <file>: there is no ${join(dataDir, 'log-signing-key.pub.pem')}`);
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'log-signing-key.pub.pem'), signerOf(db.pool).pem);
    expect(await runTrail(['verify-proof', file])).toMatchObject({ code: 0 });
    expect((await runTrail(['verify-proof'])).code).toBe(2);
  });
});
