import { PgProofStore } from '../../shared/adapters/postgres/log-proofs.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { readEventProof } from '../../shared/core/query/event-proof.ts';
import { type EventProof, verifyEventProof } from '../../shared/core/tamper/proof.ts';
import { createFleet, createRandom } from '../events.ts';
import { sealStored } from '../seal-stored.ts';
import { summarize } from '../stats.ts';
import type { BenchPart } from '../types.ts';
import { FLEET_SIZE, loadYear } from './queries.ts';

const WARM_UP_RUNS = 5;

/**
 * Part 7: per-event proofs at the bench's row count: N events over 12 months (part 3's mix, COPY), sealed into the
 * log (untimed), then GET /events/{id}/proof's work as the query API does it, as audit_reader, for random sealed
 * events: the leaf, the event by its key, the newest checkpoint, the audit path from the stored nodes (readEventProof,
 * its audit record left out). Also the proof's size as JSON, and the offline check's time (trail verify-proof).
 */
export const proofPart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const db = await ctx.server.createDatabase('proof');
  const reader = createPool({ connectionString: db.readerUrl, max: 1 });
  try {
    const load = await loadYear(db, createFleet(FLEET_SIZE), options.rows, Date.now());
    const sealed = await sealStored(db.pool);
    await db.pool.query('VACUUM (ANALYZE)');
    log(`proof: loaded ${load.rows} rows, sealed them in ${sealed.rounds} rounds at ${sealed.rowsPerS} rows/s`);
    const publicKeyPem = await sealed.signer.publicKeyPem();

    const deps = {
      proofs: new PgProofStore(reader),
      audit: { record: async () => 'bench', recordOutcome: async () => {} },
      sealRetryAfterSeconds: 60,
    };
    const request = {
      principal: { user: 'bench', roles: ['auditor' as const] },
      route: 'GET /events/{id}/proof',
      query: {},
    };
    const random = createRandom(7);
    const randomId = async () => {
      const seq = Math.floor(random() * sealed.rows);
      const { rows } = await db.pool.query<{ id: string }>(
        'SELECT event_id::text AS id FROM event_log WHERE seq = $1',
        [seq],
      );
      return rows[0]!.id;
    };
    const build = async (id: string): Promise<EventProof> => {
      const outcome = await readEventProof(deps, request, id);
      if (!outcome.ok) throw new Error(`no proof of ${id}: ${outcome.status} ${outcome.message}`);
      return outcome.value;
    };

    for (let i = 0; i < WARM_UP_RUNS; i++) await build(await randomId());
    const buildMs: number[] = [];
    const verifyMs: number[] = [];
    const bytes: number[] = [];
    const pathLengths: number[] = [];
    const deadline = performance.now() + options.maxSecondsPerLoop * 1000;
    while (buildMs.length < options.samples && performance.now() < deadline) {
      const id = await randomId();
      const started = performance.now();
      const proof = await build(id);
      buildMs.push(performance.now() - started);
      const checked = performance.now();
      const verdict = verifyEventProof(proof, publicKeyPem);
      verifyMs.push(performance.now() - checked);
      if (!verdict.ok) throw new Error(`the proof of ${id} does not verify: ${verdict.reason}`);
      bytes.push(Buffer.byteLength(JSON.stringify(proof)));
      pathLengths.push(proof.auditPath.length);
    }
    const [built, verified, size] = [summarize(buildMs), summarize(verifyMs), summarize(bytes)];
    log(`proof: built in p50 ${built.p50} ms, p95 ${built.p95} ms; ${size.p50} bytes; verified in ${verified.p50} ms`);
    return {
      status: 'measured',
      figures: {
        proof_rows: sealed.rows,
        proof_build_p50_ms: built.p50,
        proof_build_p95_ms: built.p95,
        proof_bytes: size.p50,
        proof_bytes_max: size.max,
        proof_path_length_max: Math.max(...pathLengths),
        proof_verify_p50_ms: verified.p50,
      },
      notes: [
        `${sealed.rows} events over 12 months (part 3's mix, ${FLEET_SIZE} entities), loaded by COPY and sealed ` +
          `beforehand (${sealed.rounds} rounds); ${built.count} proofs of random sealed events, as audit_reader on ` +
          'one connection: readEventProof (event_log by id, the event by its key, the newest checkpoint, the audit ' +
          'path from leaves and level-8k nodes), its audit record left out',
        'proof_bytes: the proof as JSON (the event, the path as hex, the signed checkpoint), median; ' +
          'proof_verify: verifyEventProof offline (leaf, path, P-256 signature), what trail verify-proof does',
      ],
      details: { load, sealed: { rows: sealed.rows, rounds: sealed.rounds }, built, verified, size },
    };
  } finally {
    await reader.end();
    await db.drop();
  }
};
