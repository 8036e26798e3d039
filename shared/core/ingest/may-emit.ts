import { emitRefusal, mayEmit } from '../access/emitters.ts';
import type { EventIssue, IngestContext } from '../domain/event.ts';

/**
 * The events of a request whose type the sender may not emit (the catalog's `emitters`), one issue each naming the
 * event, its type and who may emit it. Checked before validation: a refusal says nothing about the content. Events
 * without a known type are left to validation, which names the problem.
 */
export function forbiddenEvents(raws: readonly unknown[], ctx: IngestContext): EventIssue[] {
  const who = { channel: ctx.source.channel, roles: ctx.roles };
  const issues: EventIssue[] = [];
  raws.forEach((raw, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
    const type = (raw as Record<string, unknown>)['type'];
    if (typeof type !== 'string') return;
    const definition = ctx.catalog.get(type);
    if (definition && !mayEmit(definition.emitters, who))
      issues.push({ index, path: 'type', message: emitRefusal(type, definition.emitters, who) });
  });
  return issues;
}
