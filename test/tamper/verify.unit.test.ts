import { describe, expect, it } from 'vitest';
import { checkpointKey, leavesKey } from '../../shared/core/tamper/archive-keys.ts';
import { canonicalize } from '../../shared/core/tamper/canonical-json.ts';
import { signCheckpoint } from '../../shared/core/tamper/checkpoint.ts';
import { describeFinding } from '../../shared/core/tamper/findings.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { type VerifyOptions, verifyLog } from '../../shared/core/tamper/verify.ts';
import { testSigner } from '../support/test-signer.ts';
import { LogWorld } from './log-world.ts';

const signer = testSigner();
const clock = () => new Date('2026-06-01T00:00:00Z');

/** 12 events sealed over 4 rounds (3, 0, 5, 4 new: an empty round among them), then 11 more empty rounds. */
async function sealedWorld(): Promise<LogWorld> {
  const world = new LogWorld(signer);
  for (const count of [3, 0, 5, 4]) {
    world.store(count);
    await world.seal();
  }
  for (let i = 0; i < 11; i++) await world.seal();
  return world;
}

const verify = (world: LogWorld, options: Partial<VerifyOptions> = {}) =>
  verifyLog({
    publicKeys: [signer.pem],
    database: world.database(),
    archive: world.archiveReader(),
    clock,
    ...options,
  });
const archiveOnly = (world: LogWorld) => verifyLog({ publicKeys: [signer.pem], archive: world.archiveReader(), clock });

const kinds = (report: Awaited<ReturnType<typeof verifyLog>>) => report.findings.map((f) => f.kind);

describe('verifyLog on a clean log', () => {
  it('finds nothing, and says what it checked', async () => {
    const report = await verify(await sealedWorld());
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, complete: true, mode: 'full', first: null });
    expect(report.checked).toMatchObject({ checkpoints: 15, treeSize: 12, leaves: 12, databaseRows: 12, pending: 0 });
    // One root per tree size: 3 (checkpoints 0 and 1), 8 (2), 12 (3 to 14).
    expect(report.checked.roots).toBe(3);
  });

  it('with events not sealed yet (the pending tail) and the newest checkpoints not copied yet', async () => {
    const world = await sealedWorld();
    const [late] = world.store(2);
    world.pending.add(late!.id);
    await world.seal({ copy: false });
    await world.seal({ copy: false });
    const report = await verify(world);
    expect(report.findings).toEqual([]);
    expect(report.checked).toMatchObject({ pending: 1, notYetCopied: 2, treeSize: 13 });
  });

  it('with a month archived: its rows are checked in the archive', async () => {
    const world = await sealedWorld();
    world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    const report = await verify(world);
    expect(report.findings).toEqual([]);
    expect(report.checked).toMatchObject({ databaseRows: 7, archivedRows: 5, archivedFiles: 1 });
  });

  it('archive-only: checkpoints, leaves and archived rows', async () => {
    const world = await sealedWorld();
    world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    const report = await archiveOnly(world);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ mode: 'archive-only', ok: true });
    expect(report.checked).toMatchObject({ checkpoints: 15, leaves: 12, roots: 3, archivedRows: 5, databaseRows: 0 });
  });
});

describe('verifyLog finds, first, what was done to PostgreSQL', () => {
  it('an event modified', async () => {
    const world = await sealedWorld();
    const target = world.events[6]!;
    target.payload = { n: 'forged' };
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'event-modified', seq: 6, id: target.id });
    expect(report.findings).toHaveLength(1);
  });

  it('an event modified and its event_log leaf rewritten to match: the archive and the root keep the original', async () => {
    const world = await sealedWorld();
    const target = world.events[4]!;
    target.receivedAt = '2026-05-10T09:00:00.000Z';
    world.eventLog[4]!.leafHash = leafHash(target);
    const report = await verify(world);
    expect(kinds(report)).toEqual(['event-modified', 'leaves-tampered']);
    expect(report.first).toMatchObject({ seq: 4, id: target.id });
    expect(report.first!.message).toMatch(/rewritten/);
  });

  it('without the archive, a leaf rewritten with its event fails the root of the checkpoint over it', async () => {
    const world = await sealedWorld();
    const target = world.events[4]!;
    target.receivedAt = '2026-05-10T09:00:00.000Z';
    world.eventLog[4]!.leafHash = leafHash(target);
    const report = await verifyLog({ publicKeys: [signer.pem], database: world.database(), clock });
    expect(report.first).toMatchObject({ kind: 'leaves-tampered', number: 2, seqs: { from: 3, to: 7 } });
  });

  it('an event_log leaf changed alone', async () => {
    const world = await sealedWorld();
    world.eventLog[2]!.leafHash = Buffer.alloc(32, 7);
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'leaves-tampered', seq: 2 })]);
  });

  it('a range of sealed events deleted with their event_log rows', async () => {
    const world = await sealedWorld();
    const gone = new Set(world.events.slice(3, 6).map((e) => e.id));
    world.events = world.events.filter((e) => !gone.has(e.id));
    world.eventLog = world.eventLog.filter((e) => !gone.has(e.eventId));
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'events-deleted', seqs: { from: 3, to: 5 } })]);
  });

  it('events deleted, their event_log rows kept', async () => {
    const world = await sealedWorld();
    world.events.splice(10, 2);
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'events-deleted', seqs: { from: 10, to: 11 } });
    expect(report.first!.message).toMatch(/event_log still has them/);
  });

  it('two event_log rows swapped', async () => {
    const world = await sealedWorld();
    const [a, b] = [world.eventLog[2]!, world.eventLog[9]!];
    [a.seq, b.seq] = [9, 2];
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'rows-reordered', seqs: { from: 2, to: 9 } })]);
  });

  it('a row inserted where the log has passed', async () => {
    const world = await sealedWorld();
    const [inserted] = world.store(1, () => ({ occurredAt: '2026-05-10T00:30:30.000Z' }));
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'row-inserted', id: inserted!.id })]);
  });

  it("an event's occurred_at changed: modified, not deleted", async () => {
    const world = await sealedWorld();
    const target = world.events[5]!;
    target.occurredAt = '2026-05-01T00:00:00.000Z';
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'event-modified', seq: 5, id: target.id })]);
  });

  it('a checkpoint row deleted', async () => {
    const world = await sealedWorld();
    world.checkpoints.splice(6, 1);
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'checkpoint-missing', number: 6 })]);
  });

  it('a checkpoint re-signed with another key after its root was changed', async () => {
    const world = await sealedWorld();
    const row = world.checkpoints[2]!;
    const body = { ...JSON.parse(row.body), rootHash: 'ab'.repeat(32) };
    const forged = await signCheckpoint(body, testSigner());
    Object.assign(row, {
      body: canonicalize(body),
      rootHash: Buffer.from(body.rootHash, 'hex'),
      signature: Buffer.from(forged.signature, 'base64'),
    });
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'checkpoint-forged', number: 2 });
    expect(report.first!.message).toMatch(/differ/);
    expect(report.findings).toHaveLength(1);
  });

  it('the log tail cut back: event_log, events and checkpoints, while the archive keeps its copies', async () => {
    const world = await sealedWorld();
    // Checkpoint 2 holds 8 leaves; everything after goes.
    world.checkpoints = world.checkpoints.slice(0, 3);
    const cut = new Set(world.eventLog.filter((e) => e.seq >= 8).map((e) => e.eventId));
    world.eventLog = world.eventLog.filter((e) => e.seq < 8);
    world.events = world.events.filter((e) => !cut.has(e.id));
    const report = await verify(world);
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'log-truncated', number: 3, seqs: { from: 8, to: 11 } }),
    ]);
  });
});

describe('verifyLog finds what was done to the archive', () => {
  it("a checkpoint's copy deleted, long enough ago to be due", async () => {
    const world = await sealedWorld();
    world.objects.delete(checkpointKey(1));
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'checkpoint-missing', number: 1 })]);
    expect((await archiveOnly(world)).first).toMatchObject({ kind: 'checkpoint-missing', number: 1 });
  });

  it("a leaves copy changed: the archive's leaves fail the root, event_log's match", async () => {
    const world = await sealedWorld();
    const bytes = Buffer.from(world.objects.get(leavesKey(3))!);
    bytes[40] = bytes[40]! ^ 1;
    world.objects.set(leavesKey(3), bytes);
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'archive-file-replaced', key: leavesKey(3), seq: 4 });
    expect(report.findings).toHaveLength(1);
    expect((await archiveOnly(world)).first).toMatchObject({ kind: 'leaves-tampered', number: 2 });
  });

  it('a leaves copy deleted', async () => {
    const world = await sealedWorld();
    world.objects.delete(leavesKey(3));
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'archive-file-replaced', key: leavesKey(3), seqs: { from: 3, to: 7 } });
  });

  it('an archived row edited, its file rewritten', async () => {
    const world = await sealedWorld();
    const { key } = world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    const row = world.parquet.get(key)![3]!;
    (row.event as { payload: unknown }).payload = { version: 'forged' };
    world.rewriteFile(key);
    const report = await verify(world);
    expect(kinds(report)).toEqual(['archive-file-replaced', 'archive-row-modified']);
    expect(report.first).toMatchObject({ key });
    expect(report.findings[1]).toMatchObject({ seq: 3, key });
    const alone = await archiveOnly(world);
    expect(kinds(alone)).toEqual(['archive-file-replaced', 'archive-row-modified']);
  });

  it('an archived file deleted', async () => {
    const world = await sealedWorld();
    const { key } = world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    world.objects.delete(key);
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'archive-rows-deleted', key });
    expect(report.findings[1]).toMatchObject({ kind: 'archive-rows-deleted', seqs: { from: 0, to: 4 } });
  });
});

describe('verifyLog on checkpoints signed by the key but wrong', () => {
  it('a chain broken: a validly signed body whose previousHash is not its predecessor', async () => {
    const world = await sealedWorld();
    const row = world.checkpoints[5]!;
    const body = { ...JSON.parse(row.body), previousHash: 'cd'.repeat(32) };
    const resigned = await signCheckpoint(body, signer);
    Object.assign(row, { body: canonicalize(body), signature: Buffer.from(resigned.signature, 'base64') });
    world.objects.set(checkpointKey(5), Buffer.from(JSON.stringify(resigned)));
    const report = await verify(world);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'checkpoint-forged', number: 5 })]);
    expect(report.first!.message).toMatch(/rewritten/);
  });

  it('numbers missing in both places', async () => {
    const world = await sealedWorld();
    world.checkpoints.splice(7, 2);
    world.objects.delete(checkpointKey(7));
    world.objects.delete(checkpointKey(8));
    const report = await verify(world);
    expect(report.first).toMatchObject({ kind: 'checkpoint-missing', number: 7 });
    expect(report.first!.message).toMatch(/checkpoints 7\.\.8 are in neither/);
  });
});

describe('verifyLog on numbers made up by hand', () => {
  it('a checkpoint row numbered far ahead, stating a huge tree: reported, and walked over in one step', async () => {
    const world = await sealedWorld();
    const far = 10 ** 12;
    world.checkpoints.push({
      number: far,
      treeSize: far,
      rootHash: Buffer.alloc(32),
      body: '{}',
      signature: Buffer.alloc(8),
      frontier: [],
    });
    const started = performance.now();
    const report = await verify(world);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(report.findings.slice(0, 2)).toEqual([
      expect.objectContaining({ kind: 'checkpoint-missing', number: 15 }),
      expect.objectContaining({ kind: 'checkpoint-forged', number: far }),
    ]);
  });
});

describe('verifyLog on archived files', () => {
  it("an archived row's leaf_hash column changed alone", async () => {
    const world = await sealedWorld();
    const { key } = world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    world.parquet.get(key)![1]!.leafHash = 'ee'.repeat(32);
    world.rewriteFile(key);
    const report = await verify(world);
    expect(report.findings[1]).toMatchObject({ kind: 'archive-row-modified', seq: 1, key });
    expect(report.findings[1]!.message).toMatch(/leaf_hash column/);
  });

  it('a Parquet file no manifest lists, in a generation that has one', async () => {
    const world = await sealedWorld();
    world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    const extra = 'events/year=2026/month=05/part-g1-00001.parquet';
    world.objects.set(extra, Buffer.from('[]'));
    expect((await verify(world)).findings).toEqual([
      expect.objectContaining({ kind: 'archive-file-replaced', key: extra }),
    ]);
  });

  it('files of a generation with no manifest yet: an archival under way, not a finding', async () => {
    const world = await sealedWorld();
    world.objects.set('events/year=2026/month=05/part-g1-00000.parquet', Buffer.from('[]'));
    const report = await verify(world);
    expect(report.findings).toEqual([]);
    expect(report.checked.unfinishedArchivals).toBe(1);
  });

  it('a second archived row at a seq', async () => {
    const world = await sealedWorld();
    const { key } = world.archive(new Set(world.events.slice(0, 5).map((e) => e.id)));
    const rows = world.parquet.get(key)!;
    rows.push({ ...structuredClone(rows[2]!), key });
    world.rewriteFile(key);
    const report = await verify(world);
    expect(kinds(report)).toEqual(['archive-file-replaced', 'row-inserted']);
    expect(report.findings[1]).toMatchObject({ seq: 2, key });
  });
});

describe('the report', () => {
  it('keeps the first findings and counts the rest', async () => {
    const world = await sealedWorld();
    for (const event of world.events) event.payload = { forged: true };
    const report = await verify(world, { maxFindings: 5 });
    expect(report.findings).toHaveLength(5);
    expect(report.omitted).toBe(7);
    expect(report.findings.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(describeFinding(report.first!)).toMatch(/^event-modified seq 0 id [0-9a-f-]+: /);
  });

  it('checked with another public key: every checkpoint is reported, the first saying which key signed', async () => {
    const world = await sealedWorld();
    const report = await verify(world, { publicKeys: [testSigner().pem], maxFindings: 3 });
    expect(report.first).toMatchObject({ kind: 'checkpoint-forged', number: 0 });
    expect(report.first!.message).toContain(`its keyId says ${signer.keyId}`);
    expect(report.findings.length + report.omitted).toBe(15);
  });

  it('stops when told to, and says it is incomplete', async () => {
    const world = await sealedWorld();
    const report = await verify(world, { stop: () => true });
    expect(report).toMatchObject({ complete: false, ok: true });
  });
});
