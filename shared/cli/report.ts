import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_DEV_TOKEN } from '../local/tokens.ts';
import { reportQuerySchema } from '../query/params.ts';

const FILTERS = Object.keys(reportQuerySchema.shape);

export const REPORT_HELP = `Usage: trail report [--<filter> value …] [--out report.html] [--url URL] [--token TOKEN]

Fetches GET /reports from the API (so the report is access-checked and audited like any read) and saves it.
Filters: ${FILTERS.map((f) => `--${f}`).join(' ')}
  e.g. trail report --since 7d --minSeverity ERROR --out report.html
--url    the API (TRAIL_URL, default http://127.0.0.1:3000)
--token  a bearer token (TRAIL_TOKEN, default ${DEFAULT_DEV_TOKEN})
`;

/** `trail report …`: writes the HTML report for the filters to --out (default report.html). */
export async function runReport(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: 'string', default: 'report.html' },
      url: { type: 'string', default: env['TRAIL_URL'] ?? 'http://127.0.0.1:3000' },
      token: { type: 'string', default: env['TRAIL_TOKEN'] ?? DEFAULT_DEV_TOKEN },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(FILTERS.map((name) => [name, { type: 'string' as const }])),
    },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = values[name as keyof typeof values];
    if (typeof value === 'string') query.set(name, value);
  }
  const response = await fetch(`${values.url}/reports?${query}`, {
    headers: { authorization: `Bearer ${values.token}` },
  });
  const body = await response.text();
  if (!response.ok) {
    process.stderr.write(`trail report: ${response.status} ${body}\n`);
    return 1;
  }
  await writeFile(values.out, body);
  process.stdout.write(`report written to ${values.out}\n`);
  return 0;
}
