import { existsSync } from 'node:fs';
import { Command, CommanderError, type ErrorOptions, type HelpContext, Option } from 'commander';
import type { z } from 'zod';
import { NAMED_QUERIES, type NamedQuery, type NamedQueryName } from '../../core/archive/named-queries.ts';
import { DLQ_QUEUES } from '../../core/dlq/summary.ts';
import { reportQuerySchema } from '../../core/query/params.ts';
import { localPublicKeyPath } from '../local/signing-key.ts';
import { DEFAULT_DEV_TOKEN } from '../local/tokens.ts';
import type { OutputOptions } from './archive.ts';
import type { DlqOptions } from './dlq.ts';
import type { HistoryOptions } from './history.ts';
import { applyLocalDefaults } from './local-defaults.ts';
import type { MaintainOptions } from './maintain.ts';
import type { OcsfOptions } from './ocsf.ts';
import { parseCount, parsedBy, parseEntity, parseInstant, parseMonth, parseSeqOrInstant } from './options.ts';
import type { ProveOptions } from './prove.ts';
import type { StatusOptions } from './status.ts';
import type { StreamOptions } from './stream.ts';
import type { VerifyOptions } from './verify.ts';

/** `--data-dir`, on the commands that reach the running local stack's files or database. */
const LOCAL_DATA_DIR_HELP = "the local stack's DATA_DIR (env DATA_DIR; default .data)";

/**
 * The `trail` command. Every command declares its options here, so `trail <command> --help` shows them and runs
 * nothing; the work is in the command's module (start.ts, migrate.ts, report.ts, maintain.ts, archive.ts,
 * ocsf.ts, history.ts, dlq.ts, verify.ts), loaded only when the command runs.
 *
 * Exit codes: 0 done (or help shown), 1 the command failed (`trail <command>: <why>`), 2 the command line is wrong
 * (unknown command or option, missing or invalid value: the reason, then the command's usage).
 */
export const EXIT = { done: 0, failed: 1, usage: 2 } as const;

/** `trail [--help] <command> [its arguments…]`: returns the exit code instead of exiting. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.done;
  let running: Command | undefined;
  const program = trailProgram((code) => {
    exitCode = code;
  });
  program.hook('preAction', (_program, command) => {
    running = command;
  });
  // Where the running `npm start` listens, for whatever neither a flag nor the environment names (local-defaults.ts).
  const defaults = await applyLocalDefaults(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError)
      return ['commander.help', 'commander.helpDisplayed'].includes(error.code) ? EXIT.done : EXIT.usage;
    process.stderr.write(`${commandPath(running ?? program)}: ${(error as Error).message}\n`);
    return EXIT.failed;
  } finally {
    defaults.restore();
  }
}

/** The commands and their options; each action hands its exit code to `exit`. */
export function trailProgram(exit: (code: number) => void): Command {
  const program = new TrailCommand('trail')
    .description('the fleet audit trail')
    .usage('<command> [options]')
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Each command has its own help: trail <command> --help (or trail help <command>).
Exit codes: 0 done, 1 the command failed, 2 the command line is wrong.
Environment: see README.md (DATABASE_URL, MQTT_URL, MQTT_PORT, PORT, LOCAL_TOKENS, DATA_DIR, EXTRA_EVENT_TYPES).`,
    );

  program
    .command('start')
    .description('run the whole system locally (PostgreSQL, SQS, MQTT, HTTP API) until Ctrl-C')
    .addHelpText('after', '\nConfigured by the environment: README.md, "Configuration" (all of it has defaults).')
    .action(async () => {
      // Quiet defaults for a laptop, set before the stack's modules load: no X-Ray daemon here, and EMF metrics
      // would only flood the console.
      process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      const { runLocalStack } = await import('./start.ts');
      exit(await runLocalStack());
    });

  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .action(async () => {
      const { runMigrate } = await import('./migrate.ts');
      exit(await runMigrate());
    });

  const report = program
    .command('report')
    .description('save the HTML audit report for some filters')
    .addHelpText(
      'after',
      `
Fetches GET /reports from the API, so the report is access-checked and audited like any read.
  e.g. trail report --since 7d --minSeverity ERROR --out report.html`,
    );
  for (const [name, schema] of Object.entries(reportQuerySchema.shape) as [string, z.ZodType][])
    report.option(`--${name} <value>`, schema.description ?? name, parsedBy(schema));
  withApiOptions(report.option('--out <file>', 'where to save the report', 'report.html')).action(
    async (options: Record<string, unknown>) => {
      const { runReport } = await import('./report.ts');
      const filters = Object.keys(reportQuerySchema.shape).flatMap((name) =>
        options[name] === undefined ? [] : [[name, String(options[name])] as const],
      );
      exit(
        await runReport({
          out: String(options['out']),
          url: String(options['url']),
          token: String(options['token']),
          filters: Object.fromEntries(filters),
        }),
      );
    },
  );

  withApiOptions(
    program
      .command('prove')
      .description("save one event's inclusion proof against the newest signed checkpoint")
      .argument('<id>', 'the event id')
      .option('--out <file>', 'where to save the proof (default: print it)'),
  )
    .addHelpText(
      'after',
      `
Fetches GET /events/{id}/proof from the API, so the read is access-checked and audited like any read.
An event stored but not sealed yet fails (409): retry after the next checkpoint. Check the file with verify-proof.
  e.g. trail prove 019a0c4e-… --out proof.json`,
    )
    .action(async (id: string, options: ProveOptions) => {
      const { runProve } = await import('./prove.ts');
      exit(await runProve(id, options));
    });

  withApiOptions(
    program
      .command('status')
      .description(
        'the operations view: queue, dead letters, writer, partitions, last maintenance, seal, verification',
      ),
  )
    .option('--json', 'the figures as JSON')
    .addHelpText(
      'after',
      `
Fetches GET /operations from the API (locally: the running stack's own figures), audited like any read.`,
    )
    .action(async (options: StatusOptions) => {
      const { runStatus } = await import('./status.ts');
      exit(await runStatus(options));
    });

  program
    .command('verify-proof')
    .description('check a proof file offline: its event, its path to the root, the checkpoint signature')
    .argument('<file>', 'the proof, as trail prove or GET /events/{id}/proof gave it')
    .option(
      '--public-key <file>',
      "the log's public key (PEM); default: the local stack's DATA_DIR/log-signing-key.pub.pem, when there is one",
    )
    .addHelpText(
      'after',
      `
Needs no network and no database. Exit codes: 0 valid, 1 invalid (the reason on stderr), 2 usage.
  e.g. trail verify-proof proof.json --public-key log-signing-key.pub.pem`,
    )
    .action(async (file: string, options: { publicKey?: string }, command: Command) => {
      const publicKey = options.publicKey ?? localPublicKey();
      if (publicKey === undefined)
        command.error(
          `give --public-key <file>: there is no ${localPublicKeyPath(process.env.DATA_DIR || '.data')} to default to`,
        );
      const { runVerifyProof } = await import('./prove.ts');
      exit(await runVerifyProof(file, { publicKey }));
    });

  const maintain = (command: Command) =>
    command
      .option(
        '--now <instant>',
        'the instant to maintain as of, to rehearse another day: acts for real (ISO-8601; default: now)',
        parseInstant,
      )
      .option('--dry-run', 'print what the run would create and archive, and change nothing')
      .option('--json', 'print the result (or the plan) as JSON')
      .action(async (options: MaintainOptions) => {
        const { runMaintain } = await import('./maintain.ts');
        exit(await runMaintain(options));
      });
  maintain(
    program
      .command('maintain')
      .description('one maintenance run now: partitions ahead, retention and archival (a failed run exits 1)'),
  );

  const archive = program
    .command('archive')
    .description('query the archive and see its state (docs/archive.md)')
    .addHelpText('after', '\nThe archive is ARCHIVE_URL: DuckDB queries a file:// one, Athena an s3:// one.');
  maintain(archive.command('run').description('archive expired months now (the same run as trail maintain)'));
  archive
    .command('query')
    .description("SQL over the archive's events table")
    .argument('<sql>', 'one SQL statement, e.g. "SELECT type, count(*) FROM events GROUP BY type"')
    .option('--json', 'one JSON object per row')
    .action(async (sql: string, options: OutputOptions) => {
      const { runArchiveQuery } = await import('./archive.ts');
      exit(await runArchiveQuery(sql, options));
    });
  const named = archive
    .command('named')
    .description("list the auditors' named queries, or run one: trail archive named <query> --<param> <value> …")
    .helpCommand(true) // commander adds `help <query>` only to commands without an action of their own
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      if (command.args.length > 0) command.error(`unknown named query "${command.args[0]}"`);
      const { listNamedQueries } = await import('./archive.ts');
      exit(listNamedQueries());
    });
  for (const [name, query] of Object.entries(NAMED_QUERIES) as [NamedQueryName, NamedQuery][]) {
    const command = named.command(name).description(query.description);
    for (const param of query.params) {
      const { flags, description, parse } = NAMED_PARAMS[param] ?? { flags: '<value>', description: 'the value' };
      const option = new Option(`--${param} ${flags}`, `${description}, required`).makeOptionMandatory();
      command.addOption(parse ? option.argParser(parse) : option);
    }
    command.option('--json', 'one JSON object per row').action(async (options: Record<string, unknown>) => {
      const { runNamedQuery } = await import('./archive.ts');
      const params = Object.fromEntries(query.params.map((param) => [param, options[param] as string | Date]));
      exit(await runNamedQuery(name, params, { json: options['json'] === true }));
    });
  }
  archive
    .command('status')
    .description('the recorded steps of every archived month (archive_steps)')
    .action(async () => {
      const { printArchiveStatus } = await import('./archive.ts');
      exit(await printArchiveStatus());
    });

  program
    .command('ocsf')
    .description("derive a month's OCSF objects for Amazon Security Lake from its verified archive (docs/ocsf.md)")
    .requiredOption('--month <YYYY-MM>', 'the archived month, required', parseMonth)
    .option('--out <dir>', 'a folder to write to instead of SECURITY_LAKE_DIR / SECURITY_LAKE_BUCKET')
    .option('--json', 'one JSON object per object written')
    .addHelpText(
      'after',
      `
Maintenance derives each month it archives once a lake is configured; this is for months archived before that.
Reads archive_steps in DATABASE_URL (the generations verified against PostgreSQL) and the archive (ARCHIVE_URL);
recorded like any archive read. Objects: ext/<prefix>-<class>/region=…/accountId=…/eventDay=…/ (docs/ocsf.md).
  e.g. trail ocsf --month 2024-07 --out ./lake`,
    )
    .action(async (options: OcsfOptions) => {
      const { runOcsf } = await import('./ocsf.ts');
      exit(await runOcsf(options));
    });

  program
    .command('history')
    .description("one entity's events (and those naming it in related) from PostgreSQL and the archive, newest first")
    .requiredOption('--entity <type:id>', 'the entity, e.g. robot:r-17, required', parseEntity)
    .option('--since <instant>', 'from (ISO-8601, inclusive; default: the beginning)', parseInstant)
    .option('--until <instant>', 'to (ISO-8601, exclusive; default: a minute from now)', parseInstant)
    .option('--json', 'one JSON object per row')
    .action(async (options: HistoryOptions) => {
      const { runHistory } = await import('./history.ts');
      exit(await runHistory(options));
    });

  const dlq = program
    .command('dlq')
    .description('list, show and redrive dead letters (the events DLQ, or on AWS the IoT on-failure queue)')
    .addHelpText(
      'after',
      `
Locally it finds the running \`npm start\` through DATA_DIR/stack.json; on AWS give the queue URLs (stack outputs).
Listing consumes nothing; a redrive deletes a message only once it was resent. README.md, "Dead letters".`,
    );
  const location = (command: Command) =>
    command
      .addOption(
        new Option('--queue <queue>', 'which: the events DLQ, or the IoT ingest on-failure queue (AWS only)')
          .choices(DLQ_QUEUES)
          .default('events'),
      )
      .option(
        '--queue-url <url>',
        'AWS: the events queue a redrive resends to (env QUEUE_URL; stack output EventQueueUrl)',
      )
      .option('--dead-letter-queue-url <url>', 'AWS: the events DLQ (env DLQ_URL; stack output DeadLetterQueueUrl)')
      .option(
        '--iot-failures-url <url>',
        'AWS: the IoT on-failure queue (env IOT_FAILURES_URL; stack output IotFailedInvocationsQueueUrl)',
      )
      .option(
        '--iot-ingest-function <name>',
        'AWS: the IoT ingest function (env IOT_INGEST_FUNCTION; stack output IotIngestFunctionName)',
      )
      .option('--data-dir <dir>', 'local: the DATA_DIR of the running stack (env DATA_DIR; default .data)')
      .option('--json', 'one JSON object per line');
  location(dlq.command('list').description('every message in the queue, none consumed')).action(
    async (options: DlqOptions) => {
      const { runDlqList } = await import('./dlq.ts');
      exit(await runDlqList(options));
    },
  );
  location(
    dlq.command('show').description('one message whole, as JSON').argument('<id>', 'its message id (trail dlq list)'),
  ).action(async (id: string, options: DlqOptions) => {
    const { runDlqShow } = await import('./dlq.ts');
    exit(await runDlqShow(id, options));
  });
  location(
    dlq
      .command('redrive')
      .description('resend messages where they failed, then delete them from the queue (exit 1 if any stays)')
      .argument('[ids...]', 'the message ids to redrive (trail dlq list)')
      .option('--all', 'every message the queue hands out'),
  ).action(async (ids: string[], options: DlqOptions & { all?: boolean }, command: Command) => {
    if ((options.all === true) === ids.length > 0) command.error('give either --all or message ids');
    const { all: _all, ...rest } = options;
    const { runDlqRedrive } = await import('./dlq.ts');
    exit(await runDlqRedrive(options.all ? 'all' : ids, rest));
  });

  program
    .command('verify')
    .description('verify the tamper-evident log: PostgreSQL and the archive against the signed checkpoints')
    .option('--archive-only', 'the archive alone, as an auditor with read access to it and no database')
    .option('--archive <url>', "the archive (default ARCHIVE_URL, else the local stack's DATA_DIR/archive)")
    .option('--public-key <file>', "the log's public key, PEM (default DATA_DIR/log-signing-key.pub.pem)")
    .option('--data-dir <dir>', LOCAL_DATA_DIR_HELP)
    .option('--max-findings <n>', 'findings listed at most, the rest counted (default 100)', parseCount)
    .option('--json', 'the report as JSON')
    .addHelpText(
      'after',
      `
Against DATABASE_URL, or the running local stack's database. Exit 0: the log is intact; 1: findings, one per line,
the first divergence first (or verification could not run); 2: the command line is wrong. docs/tamper-evidence.md.`,
    )
    .action(async (options: VerifyOptions, command: Command) => {
      if (options.archiveOnly && (!options.archive || !options.publicKey))
        command.error('--archive-only needs --archive <url> and --public-key <file>: no local stack is assumed');
      const { runVerify } = await import('./verify.ts');
      exit(await runVerify(options));
    });

  const stream = program
    .command('stream')
    .description('the sinks the sealed log is streamed to: where each stands, and replaying one (docs/sinks.md)');
  stream
    .command('status')
    .description("each sink's cursor, lag, dead letters and last error; exit 1 when a sink is failing")
    .option('--data-dir <dir>', LOCAL_DATA_DIR_HELP)
    .option('--json', 'as JSON')
    .action(async (options: StreamOptions) => {
      const { runStreamStatus } = await import('./stream.ts');
      exit(await runStreamStatus(options));
    });
  stream
    .command('replay')
    .description("move a sink's cursor: its next round delivers again from there, in log order")
    .requiredOption('--sink <name>', 'the sink, as SINKS names it')
    .requiredOption(
      '--from <seq|instant>',
      'a seq of the log, or an instant: from the first event that occurred at or after it',
      parseSeqOrInstant,
    )
    .option('--data-dir <dir>', LOCAL_DATA_DIR_HELP)
    .addHelpText(
      'after',
      "\nAgainst DATABASE_URL, or the running local stack's database. e.g. trail stream replay --sink otlp --from 2026-05-01",
    )
    .action(async (options: StreamOptions & { sink: string; from: number | Date }) => {
      const { runStreamReplay } = await import('./stream.ts');
      exit(await runStreamReplay(options));
    });

  return program;
}

/** The local stack's public key, when there is one: its sealer writes it beside the signing key. */
const localPublicKey = () => {
  const path = localPublicKeyPath(process.env.DATA_DIR || '.data');
  return existsSync(path) ? path : undefined;
};

/** What the parameters of the named queries mean, and how their values are checked. */
const NAMED_PARAMS: Record<string, { flags: string; description: string; parse?: (value: string) => unknown }> = {
  entity_type: { flags: '<type>', description: 'the entity type, e.g. robot' },
  entity_id: { flags: '<id>', description: 'the entity id, e.g. r-17' },
  actor: { flags: '<actor>', description: 'who, e.g. user:alice' },
  since: { flags: '<instant>', description: 'from (ISO-8601, inclusive)', parse: parseInstant },
  until: { flags: '<instant>', description: 'to (ISO-8601, exclusive)', parse: parseInstant },
  from_month: { flags: '<YYYY-MM>', description: 'the first month', parse: parseMonth },
  to_month: { flags: '<YYYY-MM>', description: 'the last month, inclusive', parse: parseMonth },
};

/** `trail archive query`: the command and its parents, as messages name it. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Commander's commands with the trail's conventions: help when nothing is asked, usage errors exit 2. */
class TrailCommand extends Command {
  override createCommand(name?: string): Command {
    return new TrailCommand(name);
  }

  /**
   * Commander shows help as an error in two cases: a command with subcommands given none (`trail`, `trail archive`),
   * which is asking for help (stdout, exit 0), and `trail help <no such command>`, an unknown command.
   */
  override help(context?: HelpContext): never;
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context !== 'object' || !context.error) return super.help(context as HelpContext);
    if (this.args[0] === 'help' && this.args[1] !== undefined) this.error(`unknown command "${this.args[1]}"`);
    return super.help();
  }

  /** Every error commander reports is a usage error: `trail <command>: <what>`, the usage (showHelpAfterError), 2. */
  override error(message: string, options?: ErrorOptions): never {
    const what = message.replace(/^error: /, '').replace(/^unknown command '(.*?)'/, 'unknown command "$1"');
    return super.error(`${commandPath(this)}: ${what}`, { ...options, exitCode: EXIT.usage });
  }
}

/** `--url` and `--token`: the API a command reads through, access-checked and audited (report, prove, status). */
function withApiOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', "the API: the running local stack's when one runs (DATA_DIR/stack.json), else")
        .env('TRAIL_URL')
        .default('http://127.0.0.1:3000'),
    )
    .addOption(new Option('--token <token>', 'a bearer token').env('TRAIL_TOKEN').default(DEFAULT_DEV_TOKEN));
}
