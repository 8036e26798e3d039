import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateLocalSigner } from '../../shared/adapters/crypto/local-signer.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import { DEFAULT_SEAL_MAX_EVENTS, type SealResult, sealRound } from '../../shared/core/tamper/seal.ts';
import { createFleet, createRandom } from '../events.ts';
import { MESSAGES_PER_BATCH, measureBatches, prepareTable, writerBatches } from '../ingest.ts';
import { rate, ratio } from '../stats.ts';
import type { BenchPart } from '../types.ts';

/**
 * Part 6: the sealer against the writer, on one fresh database: the writer's path (PgEventStore.insert as
 * audit_writer, part 1's batches) stores the events, timed; then sealing rounds as audit_sealer (read the rows under
 * the horizon, hash each leaf in JS, append the tree, sign, copy to a file archive) seal all of them, timed. The sealer
 * keeps up when it seals at least as fast as the writer writes: seal_vs_writer ≥ 1.
 */
export const sealPart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const db = await ctx.server.createDatabase('seal');
  const dir = await mkdtemp(join(tmpdir(), 'bench-seal-'));
  const writerPool = createPool({ connectionString: db.writerUrl, max: 1 });
  const sealerPool = createPool({ connectionString: db.sealerUrl, max: 2 });
  try {
    const batches = writerBatches(
      createRandom(6),
      createFleet(5000),
      options.sealEvents,
      options.batchEvents,
      Date.now(),
    );
    await prepareTable(db, batches.flat());
    const store = new PgEventStore(writerPool);
    const written = await measureBatches(batches, options.maxSecondsPerLoop * 1000, (batch) => store.insert(batch));
    log(`seal: the writer stored ${written.rows} rows at ${written.rowsPerS} rows/s; sealing them`);

    const deps = {
      store: new PgLogStore(sealerPool),
      signer: await loadOrCreateLocalSigner(join(dir, 'log-signing-key.pem')),
      archive: logArchiveIn(new FileObjectStore(join(dir, 'archive'))),
      clock: () => new Date(),
    };
    const rounds: SealResult[] = [];
    const started = performance.now();
    do rounds.push(await sealRound(deps, { logId: 'bench', maxEvents: DEFAULT_SEAL_MAX_EVENTS }));
    while (rounds.at(-1)!.checkpoint.body.treeSize < written.rows && rounds.length < 1000);
    const ms = performance.now() - started;
    const sealed = rounds.reduce((sum, round) => sum + round.sealed, 0);
    if (sealed !== written.rows) throw new Error(`sealed ${sealed} of the ${written.rows} rows written`);
    const sealRate = rate(sealed, ms);
    log(`seal: ${sealed} rows in ${rounds.length} rounds at ${sealRate} rows/s`);
    return {
      status: 'measured',
      figures: {
        seal_rows: sealed,
        seal_rows_per_s: sealRate,
        seal_writer_rows_per_s: written.rowsPerS,
        seal_vs_writer: ratio(sealRate, written.rowsPerS),
      },
      notes: [
        `${written.rows} events written by PgEventStore.insert (${MESSAGES_PER_BATCH} messages × ${options.batchEvents} ` +
          'events a batch, one connection as audit_writer), then sealed by sealRound as audit_sealer (chunks of ' +
          `${DEFAULT_SEAL_MAX_EVENTS}, one checkpoint a round, local key, file archive) until all were in the tree`,
        'the backlog is sealed after it is written, so seal_rows_per_s is what a round can do, not what the ' +
          'writer leaves it: the sealer keeps up with ingest while seal_vs_writer ≥ 1',
      ],
      details: { written, rounds: rounds.map(({ sealed, durationMs }) => ({ sealed, durationMs })) },
    };
  } finally {
    await Promise.all([writerPool.end(), sealerPool.end()]);
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
};
