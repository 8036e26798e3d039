import { readFile, writeFile } from 'node:fs/promises';
import { eventProofSchema, verifyEventProof } from '../../core/tamper/proof.ts';
import { getFromApi } from './api-client.ts';

export interface ProveOptions {
  /** Where to write the proof; absent: stdout. */
  out?: string | undefined;
  /** The API's base URL. */
  url: string;
  /** A bearer token. */
  token: string;
}

/**
 * `trail prove <id>`: the event's proof from GET /events/{id}/proof, so the read is access-checked and audited like
 * any read, written to `out` (or printed) as the API returned it.
 */
export async function runProve(id: string, options: ProveOptions): Promise<number> {
  const response = await getFromApi(options.url, `/events/${encodeURIComponent(id)}/proof`, options.token);
  const body = await response.text();
  if (!response.ok) {
    const retry = response.headers.get('retry-after');
    throw new Error(`${response.status} ${body}${retry ? ` (retry after ${retry} s)` : ''}`);
  }
  const proof = eventProofSchema.parse(JSON.parse(body));
  const text = `${JSON.stringify(proof, null, 2)}\n`;
  if (options.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  await writeFile(options.out, text);
  const { body: checkpoint } = proof.checkpoint;
  process.stdout.write(
    `proof of event ${proof.event.id} (leaf ${proof.leafIndex} of ${proof.treeSize}, checkpoint ${checkpoint.number}) ` +
      `written to ${options.out}\n`,
  );
  return 0;
}

/**
 * `trail verify-proof <file>`: checks a proof offline, with nothing but the file and the log's public key: the
 * event's leaf recomputed, the path to the checkpoint's root, the checkpoint's signature. Exit 0 valid; an invalid
 * proof throws its reason (exit 1).
 */
export async function runVerifyProof(file: string, options: { publicKey: string }): Promise<number> {
  const [text, publicKeyPem] = await Promise.all([readFile(file, 'utf8'), readFile(options.publicKey, 'utf8')]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`invalid: ${file} is not JSON (${(error as Error).message})`);
  }
  const parsed = eventProofSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid: ${file} is not a proof: ${issue?.path.join('.') || 'the file'}: ${issue?.message}`);
  }
  const proof = parsed.data;
  const verdict = verifyEventProof(proof, publicKeyPem);
  if (!verdict.ok) throw new Error(`invalid: ${verdict.reason}`);
  const { body } = proof.checkpoint;
  process.stdout.write(
    `valid: event ${proof.event.id} (${proof.event.type}, ${proof.event.occurredAt}) is leaf ${proof.leafIndex} of ` +
      `log ${body.logId} at tree size ${body.treeSize}: checkpoint ${body.number}, issued ${body.issuedAt}, ` +
      `signed by ${body.keyId}\n`,
  );
  return 0;
}
