import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { verifyTrail } from '../../shared/apps/verify.ts';
import type { VerificationReport } from '../../shared/core/tamper/verify.ts';
import { createFleet } from '../events.ts';
import { sealStored } from '../seal-stored.ts';
import { rate } from '../stats.ts';
import type { BenchPart } from '../types.ts';
import { FLEET_SIZE, loadYear } from './queries.ts';

/** Months PostgreSQL keeps when the part archives: about half of the 12 loaded go to Parquet. */
const RETENTION_MONTHS = 6;

/**
 * Part 8: verification's rate. `--verify-rows` events over 12 months (part 3's mix, COPY), sealed with copies in a
 * file archive (untimed). Then `trail verify`'s work as the owner, every row in PostgreSQL: each leaf recomputed
 * from its row against the archive's leaf and every root rebuilt (verify_pg_rows_per_s). Then maintenance archives
 * the older half to Parquet (untimed), and the archive is verified alone, as an auditor would: every Parquet file
 * fetched and hashed, its rows sorted by log_seq by DuckDB and each leaf recomputed (verify_parquet_rows_per_s).
 */
export const verifyPart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const db = await ctx.server.createDatabase('verify');
  const dir = await mkdtemp(join(tmpdir(), 'bench-verify-'));
  const store = new FileObjectStore(join(dir, 'archive'));
  try {
    const now = Date.now();
    const load = await loadYear(db, createFleet(FLEET_SIZE), options.verifyRows, now);
    const sealed = await sealStored(db.pool, store);
    await db.pool.query('VACUUM (ANALYZE)');
    const publicKeys = [await sealed.signer.publicKeyPem()];
    log(`verify: loaded ${load.rows} rows, sealed them in ${sealed.rounds} rounds; verifying from PostgreSQL`);

    const timed = async (archiveOnly: boolean) => {
      const started = performance.now();
      const report = await verifyTrail({
        ...(!archiveOnly && { pool: db.pool }),
        store,
        publicKeys,
        workDir: join(dir, 'work'),
      });
      const ms = performance.now() - started;
      if (!report.ok)
        throw new Error(`verification found ${report.findings.length} findings: ${report.first?.message}`);
      return { report, ms };
    };
    const fromPg = await timed(false);
    const pgRate = rate(fromPg.report.checked.databaseRows, fromPg.ms);
    log(`verify: ${fromPg.report.checked.databaseRows} PostgreSQL rows at ${pgRate} rows/s; archiving the older half`);

    const archived = await runMaintenance(
      { pool: db.pool, store },
      { now: new Date(now), retentionMonths: RETENTION_MONTHS, premakeMonths: 0, workDir: join(dir, 'maintenance') },
    );
    if (archived.status !== 'done') throw new Error(`maintenance ${archived.status}: ${archived.error ?? ''}`);
    const fromParquet = await timed(true);
    const parquetRate = rate(fromParquet.report.checked.archivedRows, fromParquet.ms);
    log(`verify: ${fromParquet.report.checked.archivedRows} Parquet rows, archive alone, at ${parquetRate} rows/s`);
    return {
      status: 'measured',
      figures: {
        verify_rows: fromPg.report.checked.leaves,
        verify_pg_rows_per_s: pgRate,
        verify_parquet_rows: fromParquet.report.checked.archivedRows,
        verify_parquet_rows_per_s: parquetRate,
      },
      notes: [
        `${load.rows} events over 12 months COPY-loaded and sealed (untimed, copies in a file archive); trail verify's ` +
          'work as the owner with every row in PostgreSQL, timed whole: checkpoints, leaves recomputed from the rows ' +
          'against the archive copies, every root rebuilt, rows outside the log (verify_pg_rows_per_s)',
        `then ${archived.archived.length} months archived to Parquet (untimed) and the archive verified alone ` +
          '(--archive-only), timed whole: files fetched and hashed, rows sorted by log_seq in DuckDB, each leaf ' +
          'recomputed, the leaf copies checked against every root (verify_parquet_rows_per_s, per archived row)',
      ],
      details: { pg: summary(fromPg), parquet: summary(fromParquet), archived: archived.archived },
    };
  } finally {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
};

function summary({ report, ms }: { report: VerificationReport; ms: number }) {
  return { ms: Math.round(ms), mode: report.mode, checked: report.checked };
}
