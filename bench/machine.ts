import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import pg from 'pg';

/** Settings that move the figures: recorded so runs on different machines can be compared honestly. */
const PG_SETTINGS = [
  'shared_buffers',
  'work_mem',
  'max_wal_size',
  'synchronous_commit',
  'fsync',
  'wal_level',
  'max_parallel_workers_per_gather',
  'jit',
];

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
  postgres: { version: string; embedded: boolean; settings: Record<string, string> };
}

export async function describeMachine(adminUrl: string, embedded: boolean): Promise<MachineInfo> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const version = await client.query<{ version: string }>('SELECT version()');
    const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
      [PG_SETTINGS],
    );
    return {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      platform: `${platform()} ${release()}`,
      node: process.version,
      loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
      postgres: {
        version: version.rows[0]!.version,
        embedded,
        settings: Object.fromEntries(settings.rows.map((s) => [s.name, s.unit ? `${s.setting} ${s.unit}` : s.setting])),
      },
    };
  } finally {
    await client.end();
  }
}
