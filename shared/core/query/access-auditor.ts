import type { EventCatalog } from '../domain/catalog.ts';
import type { EntityRef } from '../domain/entity.ts';
import { type StoredEvent, validateEvents } from '../domain/event.ts';
import { storableIssues } from '../domain/storable.ts';
import { forbiddenEvents } from '../ingest/may-emit.ts';
import { packEvents } from '../ingest/packing.ts';
import { type Clock, type EventQueue, systemClock } from '../ports/events.ts';
import type { Access, AccessAuditor, AccessOutcome } from '../ports/query.ts';

/** Where the auditor's records go: resolves once they are on the queue (or stored), rejects otherwise. */
export type AuditDelivery = (events: readonly StoredEvent[]) => Promise<void>;

/** The audit record of a read could not be queued or stored: the read is refused (HTTP 503, a CLI exit 1). */
export class AccessNotRecordedError extends Error {
  constructor(cause: unknown) {
    super(
      `the read was not served: its audit record could not be written (${(cause as Error)?.message ?? String(cause)}); retry later`,
      { cause },
    );
    this.name = 'AccessNotRecordedError';
  }
}

/**
 * Writes `audit.accessed` (and `audit.access.completed`) events for reads: the reader is both entity and actor, so
 * "what did alice read" is her entity history. They travel the normal pipeline (validation, then the queue or the
 * store), on the `internal` channel: this class is the trail's own writer of these records, and no client-facing
 * handler can say `internal` (each stamps its own channel), so only it may emit `audit.*` types.
 */
export class EventAccessAuditor implements AccessAuditor {
  constructor(
    private readonly deliver: AuditDelivery,
    private readonly catalog: EventCatalog,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(access: Access): Promise<string> {
    const { route, filters, rows } = access;
    return this.write('audit.accessed', access, { route, filters, ...(rows !== undefined && { rows }) });
  }

  async recordOutcome(access: Access, { accessId, outcome, rows, reason }: AccessOutcome): Promise<void> {
    const payload = { accessId, route: access.route, outcome, rows, ...(reason && { reason: shorten(reason) }) };
    await this.write('audit.access.completed', access, payload);
  }

  private async write(type: string, access: Access, payload: Record<string, unknown>): Promise<string> {
    const reader = { type: 'user', id: access.principal.user } as const;
    const clientId = access.clientId ?? access.principal.clientId;
    const ctx = {
      catalog: this.catalog,
      receivedAt: this.clock(),
      actor: reader,
      roles: [],
      source: {
        channel: 'internal',
        principal: access.principal.user,
        ...(clientId && { clientId }),
        ...(access.sourceIp && { ip: access.sourceIp }),
      },
    } as const;
    const raws = [{ type, entity: reader, payload }];
    const issues = [...forbiddenEvents(raws, ctx)];
    const validated = issues.length === 0 ? validateEvents(raws, ctx) : undefined;
    if (!validated?.ok) {
      const all = validated ? validated.issues : issues;
      throw new AccessNotRecordedError(
        new Error(`${type} event is invalid: ${all.map((i) => `${i.path}: ${i.message}`).join('; ')}`),
      );
    }
    try {
      await this.deliver(validated.events);
    } catch (error) {
      throw new AccessNotRecordedError(error);
    }
    return validated.events[0]!.id;
  }
}

/** The query API's auditor: its records go on the events queue, like any accepted event. */
export class QueueAccessAuditor extends EventAccessAuditor {
  constructor(queue: EventQueue, catalog: EventCatalog, clock: Clock = systemClock) {
    super((events) => queue.send(packEvents(events)), catalog, clock);
  }
}

/** Runs an auditor call; whatever it fails with becomes an AccessNotRecordedError, which refuses the read. */
export async function recordOrRefuse<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw error instanceof AccessNotRecordedError ? error : new AccessNotRecordedError(error);
  }
}

/** An outcome's reason is free text (an error message): kept to the catalog's 512 characters. */
const shorten = (text: string) => ([...text].length > 500 ? `${[...text].slice(0, 500).join('')}…` : text);

/** A parameter of a read whose audit record could not be stored as sent: the read is refused with 400 first. */
export interface UnstorableParameter {
  parameter: string;
  message: string;
}

/**
 * Checks, before anything is read, that the read's audit record can be stored: each parameter (and the path's
 * entity) by the rules of core/domain/storable.ts. A read whose record the writer would dead-letter is not served.
 */
export function unstorableParameter(
  query: Readonly<Record<string, string | undefined>>,
  entity?: EntityRef,
): UnstorableParameter | undefined {
  const filters = { ...query, ...(entity && { entity: `${entity.type}:${entity.id}` }) };
  for (const [name, value] of Object.entries(filters)) {
    const keyIssue = storableIssues({ [name]: null })[0];
    if (keyIssue) return { parameter: JSON.stringify(name), message: `the parameter name ${keyIssue.message}` };
    const issue = storableIssues(value)[0];
    if (issue)
      return {
        parameter: name,
        message: `${issue.message}: the read's audit record could not be stored, so nothing is read`,
      };
  }
  return undefined;
}
