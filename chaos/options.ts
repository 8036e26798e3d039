import { parseArgs } from 'node:util';

export interface ChaosOptions {
  /** Independent runs (each its own PostgreSQL, DATA_DIR and archive); the figures are summed. */
  runs: number;
  /** Seconds of load per run; faults are injected at random moments inside it. */
  seconds: number;
  /** kill -9 of the stack per run. */
  kills: number;
  /** PostgreSQL stops per run, each `pgStopSeconds` long. */
  pgStops: number;
  pgStopSeconds: [min: number, max: number];
  /** Seconds the writer loses INSERT (REVOKE … GRANT) once per run: a slow consumer; 0 = never. */
  slowWriterSeconds: number;
  /** Bad inputs per run (HTTP, plus a share over MQTT). */
  badInputs: number;
  /** kill -9 of `trail maintain` during the archive export, per run. */
  archiveKills: number;
  /** LOCAL_QUEUE_MAX_MB of odd runs (even runs use the default): small, so backpressure (503, no PUBACK) happens. */
  queueMb: number;
  httpClients: number;
  mqttDevices: number;
  seed: number;
  /** Hard bound on the whole thing: past it the run stops and reports what it has (complete: false). */
  maxSeconds: number;
  /** The `trail` entry point to drive (default this checkout's bin/trail.mjs), e.g. an older build to compare. */
  trail?: string | undefined;
  /** Keep the temporary folders (logs, journal, archive) for a post-mortem. */
  keep: boolean;
}

export const SHORT: ChaosOptions = {
  runs: 1,
  seconds: 25,
  kills: 3,
  pgStops: 1,
  pgStopSeconds: [3, 5],
  slowWriterSeconds: 0,
  badInputs: 300,
  archiveKills: 2,
  queueMb: 2,
  httpClients: 3,
  mqttDevices: 2,
  seed: 1,
  maxSeconds: 240,
  keep: false,
};

export const LONG: ChaosOptions = {
  ...SHORT,
  runs: 5,
  seconds: 300,
  kills: 42,
  pgStops: 2,
  pgStopSeconds: [30, 60],
  slowWriterSeconds: 20,
  badInputs: 2_100,
  archiveKills: 4,
  httpClients: 4,
  mqttDevices: 3,
  maxSeconds: 3 * 3600,
};

export const USAGE = `npm run chaos -- [options]

Drives steady HTTP and MQTT load with client-chosen ids at a local stack while killing it (kill -9), stopping its
PostgreSQL, sending bad inputs and breaking the archive export; then compares the ids answered 202/PUBACK with the ids
stored (PostgreSQL + archive + DLQ) and prints one JSON line. Exit 1 when anything accepted was lost or duplicated, or
a bad input got a 5xx.

  --long                  the long profile: ${LONG.runs} runs × ${LONG.seconds} s, ${LONG.runs * LONG.kills} kills, PG stops of ${LONG.pgStopSeconds.join('-')} s, ${LONG.runs * LONG.badInputs} bad inputs
  --runs N                independent runs, figures summed (default ${SHORT.runs})
  --seconds T             seconds of load per run (default ${SHORT.seconds})
  --kills N               kill -9 of the stack per run (default ${SHORT.kills})
  --pg-stops N            PostgreSQL stops per run (default ${SHORT.pgStops})
  --pg-stop-seconds S     length of each stop, S or MIN-MAX (default ${SHORT.pgStopSeconds.join('-')})
  --slow-writer-seconds S the writer loses INSERT for S seconds once per run (default ${SHORT.slowWriterSeconds})
  --bad-inputs N          bad inputs per run (default ${SHORT.badInputs})
  --archive-kills N       kill -9 of trail maintain during the export, per run (default ${SHORT.archiveKills})
  --queue-mb N            LOCAL_QUEUE_MAX_MB of odd runs (default ${SHORT.queueMb}; even runs: the default 64)
  --seed X                seed of every random choice (default ${SHORT.seed})
  --max-seconds T         hard deadline for everything (default ${SHORT.maxSeconds}; long ${LONG.maxSeconds})
  --trail PATH            the trail entry point to drive (default bin/trail.mjs)
  --keep                  keep the temporary folders (stack logs, journal, archive)
  --help                  this text
`;

const positive = (name: string, text: string, min = 0): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${text}"`);
  return value;
};

/** `npm run chaos -- …` → options, or 'help'. Throws naming the bad option. */
export function parseChaosArgs(argv: string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      long: { type: 'boolean' },
      runs: { type: 'string' },
      seconds: { type: 'string' },
      kills: { type: 'string' },
      'pg-stops': { type: 'string' },
      'pg-stop-seconds': { type: 'string' },
      'slow-writer-seconds': { type: 'string' },
      'bad-inputs': { type: 'string' },
      'archive-kills': { type: 'string' },
      'queue-mb': { type: 'string' },
      seed: { type: 'string' },
      'max-seconds': { type: 'string' },
      trail: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const options: ChaosOptions = { ...(values.long ? LONG : SHORT) };
  if (values.runs !== undefined) options.runs = positive('runs', values.runs, 1);
  if (values.seconds !== undefined) options.seconds = positive('seconds', values.seconds, 5);
  if (values.kills !== undefined) options.kills = positive('kills', values.kills);
  if (values['pg-stops'] !== undefined) options.pgStops = positive('pg-stops', values['pg-stops']);
  if (values['pg-stop-seconds'] !== undefined) {
    const [min, max = min] = values['pg-stop-seconds'].split('-');
    options.pgStopSeconds = [positive('pg-stop-seconds', min ?? '', 1), positive('pg-stop-seconds', max ?? '', 1)];
    if (options.pgStopSeconds[1] < options.pgStopSeconds[0])
      throw new Error(`--pg-stop-seconds: ${values['pg-stop-seconds']} has its maximum below its minimum`);
  }
  if (values['slow-writer-seconds'] !== undefined)
    options.slowWriterSeconds = positive('slow-writer-seconds', values['slow-writer-seconds']);
  if (values['bad-inputs'] !== undefined) options.badInputs = positive('bad-inputs', values['bad-inputs']);
  if (values['archive-kills'] !== undefined) options.archiveKills = positive('archive-kills', values['archive-kills']);
  if (values['queue-mb'] !== undefined) options.queueMb = positive('queue-mb', values['queue-mb'], 1);
  if (values.seed !== undefined) options.seed = positive('seed', values.seed);
  if (values['max-seconds'] !== undefined) options.maxSeconds = positive('max-seconds', values['max-seconds'], 10);
  if (values.trail !== undefined) options.trail = values.trail;
  if (values.keep) options.keep = true;
  return options;
}
