import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../shared/apps/cli/main.ts';

// The commands' modules, replaced: these tests check what the command line hands them, and what main does with
// what they return or throw.
const run = vi.hoisted(() => ({
  runLocalStack: vi.fn(),
  runMigrate: vi.fn(),
  runReport: vi.fn(),
  runMaintain: vi.fn(),
  runArchiveQuery: vi.fn(),
  listNamedQueries: vi.fn(),
  runNamedQuery: vi.fn(),
  printArchiveStatus: vi.fn(),
  runHistory: vi.fn(),
  runOcsf: vi.fn(),
}));
vi.mock('../../shared/apps/cli/start.ts', () => ({ runLocalStack: run.runLocalStack }));
vi.mock('../../shared/apps/cli/migrate.ts', () => ({ runMigrate: run.runMigrate }));
vi.mock('../../shared/apps/cli/report.ts', () => ({ runReport: run.runReport }));
vi.mock('../../shared/apps/cli/maintain.ts', () => ({ runMaintain: run.runMaintain }));
vi.mock('../../shared/apps/cli/archive.ts', () => ({
  runArchiveQuery: run.runArchiveQuery,
  listNamedQueries: run.listNamedQueries,
  runNamedQuery: run.runNamedQuery,
  printArchiveStatus: run.printArchiveStatus,
}));
vi.mock('../../shared/apps/cli/history.ts', () => ({ runHistory: run.runHistory }));
vi.mock('../../shared/apps/cli/ocsf.ts', () => ({ runOcsf: run.runOcsf }));

let out: string[];
let err: string[];
beforeEach(() => {
  for (const fn of Object.values(run)) fn.mockReset().mockResolvedValue(0);
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const called = () => Object.entries(run).flatMap(([name, fn]) => (fn.mock.calls.length > 0 ? [name] : []));

describe('trail hands each command its options, parsed', () => {
  it('maintain: --now as a Date, --json', async () => {
    expect(await main(['maintain', '--now', '2027-09-15T00:00:00Z', '--json'])).toBe(0);
    expect(run.runMaintain).toHaveBeenCalledWith({ now: new Date('2027-09-15T00:00:00Z'), json: true });
    expect(await main(['maintain'])).toBe(0);
    expect(run.runMaintain).toHaveBeenLastCalledWith({});
  });

  it('ocsf: --month as YYYY-MM, --out, --json; a month missing or not YYYY-MM is a usage error', async () => {
    expect(await main(['ocsf', '--month', '2024-07', '--out', 'lake', '--json'])).toBe(0);
    expect(run.runOcsf).toHaveBeenCalledWith({ month: '2024-07', out: 'lake', json: true });
    expect(await main(['ocsf', '--month', '2024-13'])).toBe(2);
    expect(err.join('')).toContain('must be a month, YYYY-MM');
    expect(await main(['ocsf'])).toBe(2);
    expect(err.join('')).toContain("required option '--month <YYYY-MM>' not specified");
    expect(run.runOcsf).toHaveBeenCalledTimes(1);
  });

  it('archive run is the same run as maintain', async () => {
    expect(await main(['archive', 'run', '--now', '2027-09-15'])).toBe(0);
    expect(run.runMaintain).toHaveBeenCalledWith({ now: new Date('2027-09-15T00:00:00Z') });
  });

  it('history: the entity split at its first ":", the instants as Dates (offsets honoured)', async () => {
    const argv = ['history', '--entity', 'robot:r-17', '--since', '2025-01-01', '--until', '2025-02-01T12:00:00+02:00'];
    expect(await main([...argv, '--json'])).toBe(0);
    expect(run.runHistory).toHaveBeenCalledWith({
      entity: { type: 'robot', id: 'r-17' },
      since: new Date('2025-01-01T00:00:00Z'),
      until: new Date('2025-02-01T10:00:00Z'),
      json: true,
    });
  });

  it('archive query: the SQL as one argument', async () => {
    expect(await main(['archive', 'query', 'SELECT type, count(*) FROM events GROUP BY type', '--json'])).toBe(0);
    expect(run.runArchiveQuery).toHaveBeenCalledWith('SELECT type, count(*) FROM events GROUP BY type', {
      json: true,
    });
  });

  it('archive named: lists them bare, runs one with its parameters', async () => {
    expect(await main(['archive', 'named'])).toBe(0);
    expect(called()).toEqual(['listNamedQueries']);
    const argv = ['--entity_type', 'robot', '--entity_id', 'r-17', '--since', '2024-01-01', '--until', '2024-07-01'];
    expect(await main(['archive', 'named', 'entity-events', ...argv])).toBe(0);
    expect(run.runNamedQuery).toHaveBeenCalledWith(
      'entity-events',
      {
        entity_type: 'robot',
        entity_id: 'r-17',
        since: new Date('2024-01-01T00:00:00Z'),
        until: new Date('2024-07-01T00:00:00Z'),
      },
      { json: false },
    );
    expect(
      await main(['archive', 'named', 'critical-by-month', '--from_month', '2024-01', '--to_month', '2024-06']),
    ).toBe(0);
    expect(run.runNamedQuery).toHaveBeenLastCalledWith(
      'critical-by-month',
      { from_month: '2024-01', to_month: '2024-06' },
      { json: false },
    );
  });

  it('report: the filters given, --url and --token from TRAIL_URL and TRAIL_TOKEN unless given', async () => {
    vi.stubEnv('TRAIL_URL', undefined);
    vi.stubEnv('TRAIL_TOKEN', undefined);
    expect(await main(['report'])).toBe(0);
    expect(run.runReport).toHaveBeenLastCalledWith({
      out: 'report.html',
      url: 'http://127.0.0.1:3000',
      token: 'dev-admin-token',
      filters: {},
    });
    vi.stubEnv('TRAIL_URL', 'http://api.example:8080');
    vi.stubEnv('TRAIL_TOKEN', 'env-token');
    const argv = ['report', '--since', '7d', '--minSeverity', 'ERROR', '--title', 'Problems', '--out', 'p.html'];
    expect(await main(argv)).toBe(0);
    expect(run.runReport).toHaveBeenLastCalledWith({
      out: 'p.html',
      url: 'http://api.example:8080',
      token: 'env-token',
      filters: { since: '7d', minSeverity: 'ERROR', title: 'Problems' },
    });
    expect(await main(['report', '--url', 'http://127.0.0.1:4000', '--token', 'flag-token'])).toBe(0);
    expect(run.runReport).toHaveBeenLastCalledWith(
      expect.objectContaining({ url: 'http://127.0.0.1:4000', token: 'flag-token' }),
    );
  });

  it('start, migrate and archive status take no options', async () => {
    expect(await main(['start'])).toBe(0);
    expect(await main(['migrate'])).toBe(0);
    expect(await main(['archive', 'status'])).toBe(0);
    expect(called()).toEqual(['runLocalStack', 'runMigrate', 'printArchiveStatus']);
  });
});

describe('trail exit codes', () => {
  it('0 and 1 are what the command returns (a failed maintenance run exits 1)', async () => {
    run.runMaintain.mockResolvedValueOnce(1);
    expect(await main(['maintain'])).toBe(1);
    expect(await main(['maintain'])).toBe(0);
  });

  it('1 when the command throws, with "trail <command>: <message>" on stderr', async () => {
    run.printArchiveStatus.mockRejectedValueOnce(new Error('relation "archive_steps" does not exist'));
    expect(await main(['archive', 'status'])).toBe(1);
    expect(err.join('')).toBe('trail archive status: relation "archive_steps" does not exist\n');
    expect(out.join('')).toBe('');
  });

  it('2 for a wrong command line, before anything runs', async () => {
    for (const argv of [
      ['maintain', '--now', 'yesterday'],
      ['history', '--since', '2025-01-01'],
      ['archive', 'query'],
      ['archive', 'named', 'entity-events', '--since', '2024-01-01'],
      ['report', '--bogus'],
      ['start', '--bogus'],
      ['bench'],
    ])
      expect(await main(argv), argv.join(' ')).toBe(2);
    expect(called()).toEqual([]);
  });

  it('0 for help, before anything runs', async () => {
    for (const argv of [[], ['help'], ['--help'], ['start', '--help'], ['archive'], ['archive', 'help', 'named']])
      expect(await main(argv), argv.join(' ')).toBe(0);
    expect(called()).toEqual([]);
  });
});
