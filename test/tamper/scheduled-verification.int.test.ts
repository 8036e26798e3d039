import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { databaseUrl } from '../../bench/scratch-database.ts';
import { startLocalMaintenance } from '../../shared/apps/local/maintenance.ts';
import { verifyInProcess } from '../../shared/apps/maintenance/verification.ts';
import { createMaintenanceHandler, maintenanceHandlerConfigShape } from '../../shared/apps/maintenance.ts';
import { loadConfig } from '../../shared/apps/runtime/config.ts';
import { logger, metrics } from '../../shared/apps/runtime/observability.ts';
import { VERIFICATION_METRICS } from '../../shared/core/contracts/metrics.ts';
import { monthEvents } from '../lifecycle/fixture.ts';
import { asSuperuser } from '../support/superuser.ts';
import { dropTrail, type SealedTrail, sealedTrail } from './sealed-trail.ts';

/**
 * The verification after each maintenance run: VerificationFailures 0 on an intact log and the count of findings
 * on a tampered one, the first divergence logged as an error; skipped, with its reason logged and no metric, when
 * there is no public key (never a false alarm). On AWS (the handler) and in the local stack.
 */
let trail: SealedTrail;

beforeAll(async () => {
  trail = await sealedTrail('verify_scheduled');
  await trail.write(monthEvents({ year: 2024, month: 6 }, 30, 'scheduled'));
  await trail.seal();
}, 60_000);
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});
afterAll(async () => {
  if (trail) await dropTrail(trail);
});

const context = { functionName: 'audit-maintenance', getRemainingTimeInMillis: () => 600_000 } as unknown as Context;
const handler = (publicKey: () => Promise<{ pem: string } | { skip: string }>) =>
  createMaintenanceHandler(
    {
      pool: trail.owner,
      store: trail.archive,
      startContinuation: async () => undefined,
      verification: {
        publicKey,
        run: verifyInProcess({ pool: trail.owner, store: trail.archive, workDir: join(trail.dir, 'work') }),
      },
    },
    loadConfig(maintenanceHandlerConfigShape, { RETENTION_MONTHS: '0', ARCHIVE_WORK_DIR: join(trail.dir, 'work') }),
    () => new Date('2024-06-20T03:00:00Z'),
  );
const verificationFailures = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.filter(([name]) => name === VERIFICATION_METRICS.failures).map(([, , value]) => value);

describe('the maintenance function verifies the log after its run', () => {
  it('emits VerificationFailures 0 on an intact log', async () => {
    const counted = vi.spyOn(metrics, 'addMetric');
    const infos = vi.spyOn(logger, 'info');
    const result = await handler(async () => ({ pem: trail.signer.pem }))({}, context);
    expect(result.status).toBe('done');
    expect(verificationFailures(counted)).toEqual([0]);
    expect(infos).toHaveBeenCalledWith(
      expect.stringMatching(/^verify \(full\): .*: no divergence$/),
      expect.anything(),
    );
  });

  it('without a public key: skipped, the reason logged, no metric', async () => {
    const counted = vi.spyOn(metrics, 'addMetric');
    const infos = vi.spyOn(logger, 'info');
    await handler(async () => ({ skip: 'SIGNING_KEY_ID is not set' }))({}, context);
    expect(verificationFailures(counted)).toEqual([]);
    expect(infos).toHaveBeenCalledWith('verification skipped: SIGNING_KEY_ID is not set', {});
  });
});

describe('after tampering', () => {
  it('the function emits the count of findings and logs the first divergence; the local stack logs it too', async () => {
    const { rows } = await trail.owner.query<{ id: string }>(
      'SELECT event_id::text AS id FROM event_log WHERE seq IN (3, 4) ORDER BY seq',
    );
    await asSuperuser(trail.admin, (admin) =>
      admin.query(`UPDATE events SET received_at = received_at + interval '1 second' WHERE id = ANY($1::uuid[])`, [
        rows.map((row) => row.id),
      ]),
    );
    const counted = vi.spyOn(metrics, 'addMetric');
    const errors = vi.spyOn(logger, 'error');
    await handler(async () => ({ pem: trail.signer.pem }))({}, context);
    expect(verificationFailures(counted)).toEqual([2]);
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/^the log is not intact: .*: 2 findings$/),
      expect.objectContaining({ first: expect.objectContaining({ kind: 'event-modified', seq: 3, id: rows[0]!.id }) }),
    );
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(`^event-modified seq 3 id ${rows[0]!.id}: `), {});

    // The local stack: its maintenance at start, then verification with DATA_DIR's public key.
    await writeFile(join(trail.dir, 'log-signing-key.pub.pem'), trail.signer.pem);
    vi.stubEnv('RETENTION_MONTHS', '0');
    vi.stubEnv('ARCHIVE_WORK_DIR', join(trail.dir, 'work'));
    const lines: string[] = [];
    const local = startLocalMaintenance({
      databaseUrl: databaseUrl(inject('ownerServerUrl'), trail.name),
      dataDir: trail.dir,
      log: (line) => lines.push(line),
    });
    await local.stop();
    expect(lines).toContainEqual(expect.stringMatching(/^the log is not intact: verify \(full\): .*: 2 findings$/));
    expect(lines).toContain(
      `event-modified seq 4 id ${rows[1]!.id}: its row no longer hashes to the leaf sealed at seq 4`,
    );
  });
});
