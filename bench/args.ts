import { parseArgs } from 'node:util';

export const PART_NAMES = ['writer', 'e2e', 'queries', 'archive', 'maintenance', 'seal', 'proof', 'verify'] as const;
export type PartName = (typeof PART_NAMES)[number];

export type LoadMethod = 'copy' | 'in-database';
/** Above this many rows the query part loads inside PostgreSQL unless --load says otherwise. */
export const COPY_LOAD_MAX_ROWS = 10_000_000;

export interface BenchOptions {
  quick: boolean;
  /** Rows loaded for the query part, and sealed for the proof part. */
  rows: number;
  /** Events each ingest method (COPY, writer, one INSERT per event) is given. */
  writerEvents: number;
  /** Events per SQS message in a writer batch of 10 messages. */
  batchEvents: number;
  /** Events pushed through the local stack (half over HTTP, half over MQTT). */
  e2eEvents: number;
  /** Rows of the month exported to Parquet by the archive part. */
  archiveRows: number;
  /** Rows in each of the two expired months the maintenance part archives while a writer inserts. */
  maintenanceRowsPerMonth: number;
  /** Events the seal part writes, then seals. */
  sealEvents: number;
  /** Events the verify part loads, seals and verifies (from PostgreSQL, then half of them from Parquet). */
  verifyRows: number;
  /** Timed runs per query. */
  samples: number;
  /** Upper bound on each timed loop, so a slow machine still finishes. */
  maxSecondsPerLoop: number;
  parts: PartName[];
  /** How the query part loads its rows: COPY from Node, or a template copied in and multiplied inside PostgreSQL. */
  load: LoadMethod;
  /** Profile the e2e part's load (CPU, this process) and report the share of each stage of the local path. */
  profile: boolean;
}

const SCALES = {
  quick: {
    rows: 200_000,
    writerEvents: 20_000,
    e2eEvents: 10_000,
    archiveRows: 200_000,
    maintenanceRowsPerMonth: 20_000,
    sealEvents: 20_000,
    verifyRows: 100_000,
    samples: 50,
    maxSecondsPerLoop: 6,
  },
  full: {
    rows: 2_000_000,
    writerEvents: 100_000,
    e2eEvents: 60_000,
    archiveRows: 1_000_000,
    maintenanceRowsPerMonth: 100_000,
    sealEvents: 100_000,
    verifyRows: 1_000_000,
    samples: 200,
    maxSecondsPerLoop: 30,
  },
} as const;

export const USAGE = `npm run bench -- [options]

  --quick               smaller scale, under two minutes on 2 cores
  --rows N              rows loaded for the query and proof parts (default 2000000; quick 200000)
  --writer-events N     events per ingest method (default 100000; quick 20000)
  --batch-events N      events per SQS message in a writer batch of 10 messages (default 100)
  --e2e-events N        events through the local stack, half HTTP and half MQTT (default 60000; quick 10000)
  --archive-rows N      rows of the month exported to Parquet (default 1000000; quick 200000)
  --maintenance-rows N  rows in each expired month archived during ingest (default 100000; quick 20000)
  --seal-events N       events written, then sealed into the log, by the seal part (default 100000; quick 20000)
  --verify-rows N       events sealed, then verified from PostgreSQL and (half) from Parquet (default 1000000; quick 100000)
  --load copy|in-database
                        how the query part loads: COPY from Node, or 1M rows copied in and multiplied by
                        INSERT … SELECT inside PostgreSQL (default copy up to 10000000 rows, in-database above)
  --samples N           timed runs per query (default 200; quick 50)
  --parts a,b           parts to run (${PART_NAMES.join(', ')}; default all)
  --profile             CPU-profile the e2e part: where the local path spends its time, by stage (slows it down)
  --help                this text

DATABASE_URL: a PostgreSQL server to create the bench databases on (else an embedded PostgreSQL 17 is started).
`;

/** Reads the bench's flags; throws an Error whose message suits the command line. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      rows: { type: 'string' },
      'writer-events': { type: 'string' },
      'batch-events': { type: 'string' },
      'e2e-events': { type: 'string' },
      'archive-rows': { type: 'string' },
      'maintenance-rows': { type: 'string' },
      'seal-events': { type: 'string' },
      'verify-rows': { type: 'string' },
      samples: { type: 'string' },
      load: { type: 'string' },
      parts: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const scale = values.quick ? SCALES.quick : SCALES.full;
  const rows = positiveInteger('--rows', values.rows, scale.rows);
  return {
    quick: values.quick,
    rows,
    writerEvents: positiveInteger('--writer-events', values['writer-events'], scale.writerEvents),
    batchEvents: positiveInteger('--batch-events', values['batch-events'], 100),
    e2eEvents: positiveInteger('--e2e-events', values['e2e-events'], scale.e2eEvents),
    archiveRows: positiveInteger('--archive-rows', values['archive-rows'], scale.archiveRows),
    maintenanceRowsPerMonth: positiveInteger(
      '--maintenance-rows',
      values['maintenance-rows'],
      scale.maintenanceRowsPerMonth,
    ),
    sealEvents: positiveInteger('--seal-events', values['seal-events'], scale.sealEvents),
    verifyRows: positiveInteger('--verify-rows', values['verify-rows'], scale.verifyRows),
    samples: positiveInteger('--samples', values.samples, scale.samples),
    maxSecondsPerLoop: scale.maxSecondsPerLoop,
    parts: parseParts(values.parts),
    load: parseLoad(values.load, rows),
    profile: values.profile,
  };
}

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  // Underscores as digit separators: --rows 10_000_000.
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, got "${text}"`);
  return value;
}

function parseParts(text: string | undefined): PartName[] {
  if (text === undefined) return [...PART_NAMES];
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(PART_NAMES as readonly string[]).includes(name))
      throw new Error(`--parts: unknown part "${name}"; choose from ${PART_NAMES.join(', ')}`);
  }
  if (names.length === 0) throw new Error('--parts needs at least one part');
  return PART_NAMES.filter((name) => names.includes(name));
}

function parseLoad(text: string | undefined, rows: number): LoadMethod {
  if (text === undefined) return rows > COPY_LOAD_MAX_ROWS ? 'in-database' : 'copy';
  if (text === 'copy' || text === 'in-database') return text;
  throw new Error(`--load must be copy or in-database, got "${text}"`);
}
