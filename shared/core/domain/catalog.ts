import { z } from 'zod';
import {
  CONSOLE_EMITTERS,
  type Emitter,
  FLEET_EMITTERS,
  IDENTITY_EMITTERS,
  INTERNAL_EMITTERS,
  parseEmitters,
} from '../access/emitters.ts';
import { type Severity, severitySchema } from './severity.ts';

/**
 * The event-type catalog: every kind of event the fleet logs, its payload schema, default severity and who may emit
 * it (ingest refuses the rest with 403). Payload objects are "loose": the listed fields are checked, further fields
 * are kept as sent.
 */
export interface EventTypeDefinition {
  type: string;
  defaultSeverity: Severity;
  description: string;
  payload: z.ZodType<Record<string, unknown>>;
  emitters: readonly Emitter[];
}

const text = z.string().min(1).max(512);
/** How a read ended: every row sent, cut before the end (the client went away, or the answer was too large), failed. */
export const ACCESS_OUTCOMES = ['complete', 'cut', 'failed'] as const;
const optionalText = text.optional();
const anyPayload = z.looseObject({});

const reason = z.looseObject({ reason: optionalText });
const threshold = z.looseObject({ metric: text, value: z.number(), threshold: z.number(), unit: optionalText });
const capture = (unit: string) => z.looseObject({ value: z.number(), unit: z.string().default(unit) });

function def(
  type: string,
  defaultSeverity: Severity,
  description: string,
  payload: z.ZodType<Record<string, unknown>>,
  emitters: readonly Emitter[] = FLEET_EMITTERS,
): EventTypeDefinition {
  return { type, defaultSeverity, description, payload, emitters };
}

export const BUILT_IN_EVENT_TYPES: readonly EventTypeDefinition[] = [
  // Robots, sensors, containers and controllers: the devices themselves, or operators and admins (FLEET_EMITTERS).
  // Robot fleet
  def('robot.online', 'INFO', 'Robot came online', reason),
  def('robot.offline', 'WARNING', 'Robot went offline', reason),
  def(
    'robot.config.pushed',
    'INFO',
    'Configuration pushed to a robot',
    z.looseObject({ version: text, changes: z.array(text).optional() }),
  ),
  def(
    'robot.firmware.queued',
    'INFO',
    'Firmware update queued for a robot',
    z.looseObject({ version: text, fromVersion: optionalText }),
  ),
  def(
    'robot.firmware.applied',
    'INFO',
    'Firmware applied on a robot',
    z.looseObject({ version: text, fromVersion: optionalText, success: z.boolean().default(true) }),
  ),
  def(
    'robot.session.started',
    'INFO',
    'Remote session to a robot started',
    z.looseObject({ sessionId: text, operator: optionalText }),
  ),
  def(
    'robot.session.ended',
    'INFO',
    'Remote session to a robot ended',
    z.looseObject({ sessionId: text, durationSeconds: z.number().nonnegative().optional() }),
  ),
  // Sensors
  def('sensor.threshold.breached', 'WARNING', 'A sensor reading crossed its alarm threshold', threshold),
  def('sensor.threshold.recovered', 'INFO', 'A sensor reading returned inside its threshold', threshold),
  def(
    'sensor.offline',
    'WARNING',
    'Sensor stopped reporting',
    z.looseObject({ lastSeenAt: z.iso.datetime({ offset: true }).optional(), reason: optionalText }),
  ),
  def('sensor.battery.low', 'WARNING', 'Sensor battery low', z.looseObject({ level: z.number().min(0).max(100) })),
  def(
    'sensor.payload.decode_failed',
    'ERROR',
    'A sensor payload could not be decoded',
    z.looseObject({ error: text, rawSize: z.number().int().nonnegative().optional() }),
  ),
  // Containers
  def('container.bay.assigned', 'INFO', 'Container assigned to a bay', z.looseObject({ bay: text })),
  def('container.moved', 'INFO', 'Container moved between bays', z.looseObject({ fromBay: optionalText, toBay: text })),
  def('container.weight.captured', 'INFO', 'Container weight captured', capture('kg')),
  def('container.temperature.captured', 'INFO', 'Container temperature captured', capture('C')),
  def(
    'container.batch.changed',
    'INFO',
    'Cultivar / batch association changed',
    z
      .looseObject({ cultivar: optionalText, batch: optionalText, fromBatch: optionalText })
      .refine((p) => p.cultivar !== undefined || p.batch !== undefined, 'cultivar or batch is required'),
  ),
  // I/O controllers
  def(
    'controller.state.changed',
    'INFO',
    'Significant state-machine transition',
    z.looseObject({ from: text, to: text }),
  ),
  def(
    'controller.register.overridden',
    'WARNING',
    'A register write override',
    z
      .looseObject({ register: text, from: z.unknown().optional(), to: z.unknown() })
      .refine((p) => 'to' in p, 'to is required'),
  ),
  def(
    'controller.protocol.error',
    'ERROR',
    'Controller protocol error',
    z.looseObject({ protocol: text, error: text }),
  ),
  // Users: who logged in and who may do what is known only to the identity source.
  def('user.login', 'INFO', 'User logged in', z.looseObject({ method: optionalText }), IDENTITY_EMITTERS),
  def('user.logout', 'INFO', 'User logged out', z.looseObject({ method: optionalText }), IDENTITY_EMITTERS),
  def(
    'user.role.changed',
    'WARNING',
    "A user's role changed",
    z.looseObject({ from: optionalText, to: text }),
    IDENTITY_EMITTERS,
  ),
  def(
    'user.permission.granted',
    'WARNING',
    'Permission granted to a user',
    z.looseObject({ permission: text }),
    IDENTITY_EMITTERS,
  ),
  def(
    'user.permission.revoked',
    'WARNING',
    'Permission revoked from a user',
    z.looseObject({ permission: text }),
    IDENTITY_EMITTERS,
  ),
  // The operator at the console records their own override (the actor is stamped from their token).
  def(
    'user.override',
    'WARNING',
    'Manual override by an operator',
    z
      .looseObject({ target: text, setting: text, from: z.unknown().optional(), to: z.unknown() })
      .refine((p) => 'to' in p, 'to is required'),
    CONSOLE_EMITTERS,
  ),
  // The audit trail itself: reading the log is audited too, and only the trail writes these records.
  // `audit.accessed` is made before anything is sent; with `rows` when the answer was complete by then (a page, stats,
  // a report), without when it is sent as it is read (an export, a CLI query), which then ends with an
  // `audit.access.completed` naming it (`accessId`).
  def(
    'audit.accessed',
    'INFO',
    'The audit log was read (query, export, report or CLI)',
    z.looseObject({
      route: text,
      filters: z.record(z.string(), z.unknown()).default({}),
      rows: z.number().int().nonnegative().optional(),
    }),
    INTERNAL_EMITTERS,
  ),
  def(
    'audit.access.completed',
    'INFO',
    'How a read recorded by audit.accessed ended: complete, cut (with the rows sent) or failed',
    z.looseObject({
      accessId: z.uuid(),
      route: text,
      outcome: z.enum(ACCESS_OUTCOMES),
      rows: z.number().int().nonnegative(),
      reason: optionalText,
    }),
    INTERNAL_EMITTERS,
  ),
  // The API-interaction log (core/interactions): every request the API answered, refusals included.
  def(
    'audit.api.request',
    'INFO',
    'An API request and its answer (one, or a per-minute summary of identical failures)',
    z.looseObject({
      method: text,
      route: text,
      status: z.number().int().min(100).max(599),
      principal: text.nullable(),
      roles: text,
      sourceIp: z.string().max(64),
      userAgent: text,
      requestId: text,
      durationMs: z.number().int().nonnegative(),
      count: z.number().int().positive(),
      firstAt: z.iso.datetime(),
      lastAt: z.iso.datetime(),
    }),
    INTERNAL_EMITTERS,
  ),
];

export type EventCatalog = ReadonlyMap<string, EventTypeDefinition>;

const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
export const eventTypeNameSchema = z
  .string()
  .max(128)
  .regex(EVENT_TYPE_PATTERN, 'event type must be dotted lower-case words, e.g. sensor.threshold.breached');

/** Prefixes whose types only the trail writes: a deployment may not register more under them. */
const RESERVED_PREFIXES = ['audit.'] as const;

/** Who may emit a registered type when its entry names nobody: the identity source for `user.*`, else the fleet. */
export function defaultEmitters(type: string): readonly Emitter[] {
  return type.startsWith('user.') ? IDENTITY_EMITTERS : FLEET_EMITTERS;
}

/**
 * Parses the deployment's extra event types: `EXTRA_EVENT_TYPES="lab.sample.taken:INFO,dock.door.opened"`, each
 * `type[:SEVERITY][@emitter+emitter…]`, e.g. `badge.swiped@iot:device`. Each gets a free-form object payload, the
 * given default severity (INFO when omitted) and the given emitters (`defaultEmitters` when omitted).
 */
export function parseExtraEventTypes(spec: string | undefined): EventTypeDefinition[] {
  if (!spec?.trim()) return [];
  return spec
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.indexOf('@');
      const head = at === -1 ? item : item.slice(0, at);
      const [name = '', severity = 'INFO'] = head.split(':').map((part) => part.trim());
      const typeName = eventTypeNameSchema.safeParse(name);
      if (!typeName.success)
        throw new Error(
          `EXTRA_EVENT_TYPES: "${name}" is not a valid event type name (${typeName.error.issues[0]?.message})`,
        );
      const reserved = RESERVED_PREFIXES.find((prefix) => typeName.data.startsWith(prefix));
      if (reserved)
        throw new Error(
          `EXTRA_EVENT_TYPES: "${name}": ${reserved}* types are the trail's own records and cannot be registered`,
        );
      const level = severitySchema.safeParse(severity.toUpperCase());
      if (!level.success)
        throw new Error(
          `EXTRA_EVENT_TYPES: "${item}" has severity "${severity}"; use INFO, WARNING, ERROR or CRITICAL`,
        );
      const emitters =
        at === -1 ? defaultEmitters(typeName.data) : parseEmitters(item.slice(at + 1), `EXTRA_EVENT_TYPES: "${item}"`);
      return def(typeName.data, level.data, 'Registered by the deployment (EXTRA_EVENT_TYPES)', anyPayload, emitters);
    });
}

/** The catalog: the built-in types plus those the deployment registers. A registered name may not shadow a built-in. */
export function createCatalog(extra: readonly EventTypeDefinition[] = []): EventCatalog {
  const catalog = new Map<string, EventTypeDefinition>();
  for (const definition of BUILT_IN_EVENT_TYPES) catalog.set(definition.type, definition);
  for (const definition of extra) {
    if (catalog.has(definition.type))
      throw new Error(`event type ${definition.type} is built in and cannot be registered again`);
    catalog.set(definition.type, definition);
  }
  return catalog;
}
