import { writeFile } from 'node:fs/promises';
import { getFromApi } from './api-client.ts';

export interface ReportOptions {
  /** The file to write. */
  out: string;
  /** The API's base URL. */
  url: string;
  /** A bearer token. */
  token: string;
  /** The filters of GET /reports, as query parameters. */
  filters: Readonly<Record<string, string>>;
}

/** `trail report`: fetches the HTML report for the filters from the API and writes it to `out`. */
export async function runReport(options: ReportOptions): Promise<number> {
  const response = await getFromApi(options.url, `/reports?${new URLSearchParams(options.filters)}`, options.token);
  const body = await response.text();
  if (!response.ok) throw new Error(`${options.url} answered ${response.status} ${body}`);
  await writeFile(options.out, body);
  process.stdout.write(`report written to ${options.out}\n`);
  return 0;
}
