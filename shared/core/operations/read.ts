import type { AccessAuditor } from '../ports/query.ts';
import { recordOrRefuse, unstorableParameter } from '../query/access-auditor.ts';
import { accessOf, type Outcome, type ReadRequest } from '../query/read.ts';
import type { OperationsSource, OperationsStatus } from './status.ts';

/**
 * GET /operations: the figures, read like any other read: its `audit.accessed` record (no event rows: 0) is queued
 * before the answer, or nothing is served. It takes no parameters: any is refused (400), naming it.
 */
export async function readOperations(
  deps: { audit: AccessAuditor; operations: OperationsSource },
  request: ReadRequest,
): Promise<Outcome<OperationsStatus>> {
  const unstorable = unstorableParameter(request.query);
  if (unstorable) return { ok: false, ...unstorable };
  const given = Object.keys(request.query);
  if (given.length > 0)
    return { ok: false, parameter: given.join(','), message: 'unknown query parameter: GET /operations takes none' };
  const status = await deps.operations();
  await recordOrRefuse(() => deps.audit.record(accessOf(request, 0)));
  return { ok: true, value: status };
}
