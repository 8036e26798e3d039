const HELP = `trail: the fleet audit trail

Usage: trail <command> [options]

Commands:
  start              run the whole system locally (PostgreSQL, SQS, MQTT, HTTP API)
  migrate            apply database migrations to DATABASE_URL
  report             save the HTML audit report for some filters (trail report --help)
  maintain           partitions ahead, retention and archival now (--now ISO to rehearse another instant)
  archive            archive queries and status (trail archive help; docs/archive.md)
  history            one entity's events from PostgreSQL and the archive (--entity robot:r-17 --since 2025-01-01)
  help               show this help

Environment: see README.md (DATABASE_URL, MQTT_URL, MQTT_PORT, PORT, LOCAL_TOKENS, DATA_DIR, EXTRA_EVENT_TYPES).
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  start: async () => {
    // Quiet defaults for a laptop: no X-Ray daemon here, and EMF metrics would only flood the console.
    process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const { runLocalStack } = await import('./start.ts');
    return runLocalStack();
  },
  migrate: async () => {
    const { runMigrate } = await import('./migrate.ts');
    return runMigrate();
  },
  report: async (args) => {
    const { runReport } = await import('./report.ts');
    return runReport(args);
  },
  maintain: async (args) => {
    const { runMaintain } = await import('./maintain.ts');
    return runMaintain(args);
  },
  archive: async (args) => {
    const { runArchive } = await import('./archive.ts');
    return runArchive(args);
  },
  history: async (args) => {
    const { runHistory } = await import('./history.ts');
    return runHistory(args);
  },
  help: async () => {
    process.stdout.write(HELP);
    return 0;
  },
};

/** `trail [--help] <command> [its arguments…]`: everything after the command name is the command's own. */
export async function main(argv: string[]): Promise<number> {
  const at = argv.findIndex((arg) => !arg.startsWith('-'));
  const name = at === -1 ? 'help' : argv[at]!;
  const command = commands[name];
  if (!command) {
    process.stderr.write(`trail: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(at === -1 ? [] : argv.slice(at + 1));
  } catch (error) {
    process.stderr.write(`trail ${name}: ${(error as Error).message}\n`);
    return 1;
  }
}
