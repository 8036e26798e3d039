import { describeOperations, operationsStatusSchema } from '../../core/operations/status.ts';
import { getFromApi } from './api-client.ts';

export interface StatusOptions {
  url: string;
  token: string;
  json?: boolean | undefined;
}

/** `trail status`: the operations view (GET /operations, access-checked and audited like any read), as lines or JSON. */
export async function runStatus(options: StatusOptions): Promise<number> {
  const response = await getFromApi(options.url, '/operations', options.token);
  const body = await response.text();
  if (!response.ok) throw new Error(`${options.url} answered ${response.status} ${body}`);
  const parsed = operationsStatusSchema.safeParse(JSON.parse(body));
  if (!parsed.success)
    throw new Error(`${options.url}/operations answered what is not the operations view: ${parsed.error.message}`);
  if (options.json) console.log(JSON.stringify(parsed.data, null, 2));
  else for (const line of describeOperations(parsed.data)) console.log(line);
  return 0;
}
