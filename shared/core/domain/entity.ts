import { z } from 'zod';

/** The entity kinds the fleet knows; deployments may use other lower-case kinds too (bay, firmware, line, …). */
export const KNOWN_ENTITY_TYPES = ['robot', 'sensor', 'container', 'controller', 'user'] as const;

const ENTITY_TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
// Ids are device serials, thing names, user names: printable, no whitespace, no ':' (it separates type from id in keys).
const ENTITY_ID_PATTERN = /^[^\s:]{1,128}$/;

export const entityTypeSchema = z
  .string()
  .regex(ENTITY_TYPE_PATTERN, 'entity type must be lower-case letters, digits, "_" or "-" (e.g. robot, sensor, bay)');

export const entityIdSchema = z
  .string()
  .regex(ENTITY_ID_PATTERN, 'entity id must be 1-128 characters with no whitespace and no ":"');

export const entityRefSchema = z.strictObject({ type: entityTypeSchema, id: entityIdSchema });
export type EntityRef = z.infer<typeof entityRefSchema>;

/** `robot:r-17`: the key used for FIFO message groups, filters and URLs. */
export function entityKey(entity: EntityRef): string {
  return `${entity.type}:${entity.id}`;
}

/** Parses `type:id`; returns undefined when the text is not a valid entity key. */
export function parseEntityKey(key: string): EntityRef | undefined {
  const at = key.indexOf(':');
  if (at <= 0) return undefined;
  const parsed = entityRefSchema.safeParse({ type: key.slice(0, at), id: key.slice(at + 1) });
  return parsed.success ? parsed.data : undefined;
}
