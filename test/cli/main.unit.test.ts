import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, trailProgram } from '../../shared/apps/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('trail', () => {
  it('prints the command list for --help, help, or nothing', async () => {
    for (const argv of [['--help'], ['help'], []]) {
      const { out } = capture();
      expect(await main(argv)).toBe(0);
      expect(out.join('')).toContain('Commands:');
      vi.restoreAllMocks();
    }
  });

  it('refuses an unknown command with exit code 2, naming it', async () => {
    const { err } = capture();
    expect(await main(['archvie'])).toBe(2);
    expect(err.join('')).toContain('unknown command "archvie"');
  });

  it('hands a command all of its own arguments, flags with values included', async () => {
    const { out } = capture();
    expect(await main(['report', '--help'])).toBe(0);
    expect(out.join('')).toContain('Usage: trail report');
  });
});

/** Every command and subcommand of the program, as the words typed after `trail`. */
function commandPaths(command: Command = trailProgram(() => {}), path: string[] = []): string[][] {
  return command.commands
    .filter((sub) => sub.name() !== 'help')
    .flatMap((sub) => [[...path, sub.name()], ...commandPaths(sub, [...path, sub.name()])]);
}

/** Valid values for the options a command requires, so that an unknown option is the one thing wrong. */
const REQUIRED: Record<string, string[]> = {
  history: ['--entity', 'robot:r-17', '--since', '2025-01-01'],
  ocsf: ['--month', '2024-07'],
  'dlq show': ['some-message-id'],
  'dlq redrive': ['--all'],
  'stream replay': ['--sink', 'otlp', '--from', '0'],
  'archive named entity-events': [
    '--entity_type',
    'robot',
    '--entity_id',
    'r-17',
    '--since',
    '2024-01-01',
    '--until',
    '2024-07-01',
  ],
  'archive named critical-by-month': ['--from_month', '2024-01', '--to_month', '2024-06'],
  'archive named top-override-actors': ['--since', '2024-01-01', '--until', '2024-07-01'],
  'archive named error-rate-by-type-day': ['--since', '2024-01-01', '--until', '2024-07-01'],
  'archive named operator-activity': ['--actor', 'user:alice', '--since', '2024-01-01', '--until', '2024-07-01'],
  'archive named api-error-rate-by-route': ['--since', '2024-01-01', '--until', '2024-01-02'],
  'archive named api-failed-auth-by-ip': ['--since', '2024-01-01', '--until', '2024-01-02'],
  'archive named api-calls-by-role': ['--since', '2024-01-01', '--until', '2024-01-02'],
};

describe('trail <command> --help', () => {
  beforeEach(() => {
    // Were a command to run rather than show its help, it would fail (exit 1) on these.
    vi.stubEnv('DATABASE_URL', 'postgres://nobody@127.0.0.1:1/nothing');
    vi.stubEnv('TRAIL_URL', 'http://127.0.0.1:1');
    vi.stubEnv('ARCHIVE_URL', 'nowhere://');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('covers every command', () => {
    expect(commandPaths().map((path) => path.join(' '))).toEqual([
      'start',
      'migrate',
      'report',
      'prove',
      'status',
      'verify-proof',
      'maintain',
      'archive',
      'archive run',
      'archive query',
      'archive named',
      'archive named entity-events',
      'archive named critical-by-month',
      'archive named top-override-actors',
      'archive named error-rate-by-type-day',
      'archive named operator-activity',
      'archive named api-error-rate-by-route',
      'archive named api-failed-auth-by-ip',
      'archive named api-calls-by-role',
      'archive status',
      'ocsf',
      'history',
      'dlq',
      'dlq list',
      'dlq show',
      'dlq redrive',
      'verify',
      'stream',
      'stream status',
      'stream replay',
    ]);
  });

  it.each(commandPaths().map((path) => [path.join(' '), path]))(
    'trail %s --help prints its usage, exits 0 and runs nothing',
    async (name, path) => {
      const helpCommand = [...path.slice(0, -1), 'help', path.at(-1)!]; // trail archive help query
      for (const argv of [[...path, '--help'], [...path, '-h'], helpCommand]) {
        const { out, err } = capture();
        expect(await main(argv), argv.join(' ')).toBe(0);
        expect(out.join('')).toContain(`Usage: trail ${name} `);
        expect(err.join('')).toBe('');
        vi.restoreAllMocks();
      }
    },
  );

  it.each(commandPaths().map((path) => [path.join(' '), path]))(
    'trail %s with an unknown option exits 2 with the reason and its usage, running nothing',
    async (name, path) => {
      const { out, err } = capture();
      expect(await main([...path, ...(REQUIRED[name] ?? []), '--bogus'])).toBe(2);
      expect(err.join('')).toMatch(new RegExp(`^trail ${name}: unknown option '--bogus'\\n\\nUsage: trail ${name} `));
      expect(out.join('')).toBe('');
    },
  );
});

describe('trail: usage errors exit 2, naming what is wrong and why, then the usage', () => {
  const cases: [string[], string][] = [
    [
      ['maintain', '--now', 'yesterday'],
      "trail maintain: option '--now <instant>' argument 'yesterday' is invalid. must be an ISO-8601 date",
    ],
    [
      ['archive', 'run', '--now', '2027-09-15T00:00:00'],
      "trail archive run: option '--now <instant>' argument '2027-09-15T00:00:00' is invalid. must be an ISO-8601 date (2025-01-01) or an instant with its zone",
    ],
    [
      ['history', '--entity', 'robot', '--since', '2025-01-01'],
      "trail history: option '--entity <type:id>' argument 'robot' is invalid. must be type:id, e.g. robot:r-17",
    ],
    [['history', '--entity', 'Robot:r 17', '--since', '2025-01-01'], 'entity type must be lower-case letters'],
    [
      ['history', '--entity', 'robot:r-17', '--since', '2025-02-30'],
      "trail history: option '--since <instant>' argument '2025-02-30' is invalid.",
    ],
    [
      ['history', '--entity', 'robot:r-17', '--since', '2025-01-01', '--until', 'now'],
      "option '--until <instant>' argument 'now' is invalid.",
    ],
    [['history', '--since', '2025-01-01'], "trail history: required option '--entity <type:id>' not specified"],
    [['archive', 'query'], "trail archive query: missing required argument 'sql'"],
    [['archive', 'query', 'SELECT 1', 'SELECT 2'], 'trail archive query: too many arguments'],
    [['archive', 'named', 'no-such-query'], 'trail archive named: unknown named query "no-such-query"'],
    [
      ['archive', 'named', 'entity-events', '--entity_type', 'robot', '--entity_id', 'r-17', '--since', '2024-01-01'],
      "trail archive named entity-events: required option '--until <instant>' not specified",
    ],
    [
      [
        'archive',
        'named',
        'entity-events',
        '--entity_type',
        'robot',
        '--entity_id',
        'r-17',
        '--since',
        'last week',
        '--until',
        '2024-07-01',
      ],
      "option '--since <instant>' argument 'last week' is invalid.",
    ],
    [
      ['archive', 'named', 'critical-by-month', '--from_month', '2024-13', '--to_month', '2024-12'],
      "trail archive named critical-by-month: option '--from_month <YYYY-MM>' argument '2024-13' is invalid. must be a month, YYYY-MM",
    ],
    [['report', '--minSeverity', 'LOUD'], "trail report: option '--minSeverity <value>' argument 'LOUD' is invalid."],
    [
      ['report', '--id', '42'],
      "trail report: option '--id <value>' argument '42' is invalid. must be an event id (UUID)",
    ],
    [['start', 'now'], "trail start: too many arguments for 'start'"],
    [['--verbose'], "trail: unknown option '--verbose'"],
    [['archive', 'archvie'], 'trail archive: unknown command "archvie"'],
    [['help', 'archvie'], 'trail: unknown command "archvie"'],
    [['bench'], 'trail: unknown command "bench"'],
  ];

  it.each(cases)('trail %j', async (argv, message) => {
    const { out, err } = capture();
    expect(await main(argv)).toBe(2);
    expect(err.join('')).toContain(message);
    expect(err.join('')).toMatch(/\n\nUsage: trail /);
    expect(out.join('')).toBe('');
  });
});

describe('trail: a command that fails exits 1 with "trail <command>: <why>"', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('trail migrate against a database that is not there', async () => {
    vi.stubEnv('DATABASE_URL', 'postgres://nobody@127.0.0.1:1/nothing');
    const { out, err } = capture();
    expect(await main(['migrate'])).toBe(1);
    expect(err.join('')).toMatch(/^trail migrate: .*ECONNREFUSED/);
    expect(out.join('')).toBe('');
  });

  it('trail archive status, naming the subcommand', async () => {
    vi.stubEnv('DATABASE_URL', 'postgres://nobody@127.0.0.1:1/nothing');
    const { err } = capture();
    expect(await main(['archive', 'status'])).toBe(1);
    expect(err.join('')).toMatch(/^trail archive status: .*ECONNREFUSED/);
  });

  it('trail report when the API cannot be reached', async () => {
    const { err } = capture();
    expect(await main(['report', '--url', 'http://127.0.0.1:1', '--out', '/nonexistent/report.html'])).toBe(1);
    expect(err.join('')).toMatch(/^trail report: /);
  });
});
