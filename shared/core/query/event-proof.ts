import { z } from 'zod';
import { hiddenTypePrefixes } from '../access/policy.ts';
import { findArchivedEvent } from '../archive/archived-event.ts';
import type { StoredEvent } from '../domain/event.ts';
import type { ArchiveQueryEngine } from '../ports/archive-query.ts';
import type { ProofStore } from '../ports/proofs.ts';
import type { AccessAuditor } from '../ports/query.ts';
import { type EventProof, proveEvent } from '../tamper/proof.ts';
import { recordOrRefuse, unstorableParameter } from './access-auditor.ts';
import { accessOf, type ReadRequest } from './read.ts';

export interface EventProofDeps {
  proofs: ProofStore;
  audit: AccessAuditor;
  /** The archive's SQL engine, opened for one read, for events whose month has left PostgreSQL; absent: not read. */
  archive?: () => Promise<ArchiveQueryEngine>;
  /** What Retry-After says when an event is not sealed yet: about the sealer's cadence. */
  sealRetryAfterSeconds: number;
}

export type EventProofOutcome =
  | { ok: true; value: EventProof }
  | { ok: false; status: 400; parameter: string; message: string }
  | { ok: false; status: 404 | 503; message: string }
  | { ok: false; status: 409; message: string; retryAfterSeconds: number };

const idSchema = z.uuid();

/**
 * GET /events/{id}/proof: the event's inclusion proof against the newest signed checkpoint, the event read from
 * PostgreSQL, or from the archive once its month has left (event_log keeps every leaf, and when its event occurred).
 * Readable by whoever may read the event: an event type hidden from the reader is unknown to them (404). The read is
 * recorded before the answer, as every read is, with the rows it returns (1, or 0 when there is no proof).
 */
export async function readEventProof(
  deps: EventProofDeps,
  request: ReadRequest,
  id: string,
): Promise<EventProofOutcome> {
  const unstorable = unstorableParameter(request.query);
  if (unstorable) return { ok: false, status: 400, ...unstorable };
  const [extra] = Object.keys(request.query);
  if (extra !== undefined)
    return { ok: false, status: 400, parameter: extra, message: 'GET /events/{id}/proof takes no query parameters' };
  if (!idSchema.safeParse(id).success)
    return { ok: false, status: 400, parameter: 'id', message: 'must be an event id (UUID)' };
  const eventId = id.toLowerCase();
  const visible = (event: StoredEvent | undefined) => {
    const hidden = hiddenTypePrefixes(request.principal);
    return event && !hidden.some((prefix) => event.type.startsWith(prefix)) ? event : undefined;
  };
  const outcome = await prove(deps, eventId, visible);
  const access = accessOf(request, outcome.ok ? 1 : 0);
  await recordOrRefuse(() => deps.audit.record({ ...access, filters: { ...access.filters, id: eventId } }));
  return outcome;
}

async function prove(
  deps: EventProofDeps,
  id: string,
  visible: (event: StoredEvent | undefined) => StoredEvent | undefined,
): Promise<EventProofOutcome> {
  const unknown = { ok: false, status: 404, message: `no event ${id}` } as const;
  const entry = await deps.proofs.logEntry(id);
  if (!entry) {
    const occurredAt = await deps.proofs.unsealedOccurredAt(id);
    if (occurredAt === undefined || !visible(await deps.proofs.event(id, occurredAt))) return unknown;
    return {
      ok: false,
      status: 409,
      message: `event ${id} is stored but not sealed yet: retry after the next checkpoint`,
      retryAfterSeconds: deps.sealRetryAfterSeconds,
    };
  }
  let event = await deps.proofs.event(id, entry.occurredAt);
  if (!event) {
    if (!deps.archive)
      return {
        ok: false,
        status: 503,
        message: `event ${id} is archived, and this API is not set up to read the archive`,
      };
    const engine = await deps.archive();
    try {
      event = await findArchivedEvent(engine, id, entry.occurredAt);
    } finally {
      await engine.close();
    }
  }
  if (!event)
    return {
      ok: false,
      status: 404,
      message: `event ${id} is sealed (seq ${entry.seq}) but neither PostgreSQL nor the archive holds it: run trail verify`,
    };
  if (!visible(event)) return unknown;
  const checkpoint = await deps.proofs.latestCheckpoint();
  // Written in the transaction that sealed the event, so always there; a log read mid-tamper could lack it.
  if (!checkpoint || checkpoint.body.treeSize <= entry.seq)
    return {
      ok: false,
      status: 409,
      message: `no checkpoint covers event ${id} yet: retry after the next checkpoint`,
      retryAfterSeconds: deps.sealRetryAfterSeconds,
    };
  return { ok: true, value: await proveEvent(deps.proofs, event, entry.seq, checkpoint) };
}
