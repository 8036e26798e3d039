import type { EntityRef } from '../domain/entity.ts';
import type { Actor, Source, StoredEvent } from '../domain/event.ts';
import { OCSF_CLASSES, OCSF_SEVERITY, OCSF_VERSION, type OcsfClassKey } from './classes.ts';

/** One OCSF event as JSON: the attributes of its class (core/ocsf/classes.ts), absent ones null. */
export type OcsfRecord = Record<string, unknown> & { class_uid: number; time: number };

/** `metadata.product`: who reported the events. */
export interface OcsfProduct {
  name: string;
  vendor_name: string;
  version?: string;
}

export const DEFAULT_PRODUCT: OcsfProduct = { name: 'Fleet audit trail', vendor_name: 'Fleet audit trail' };

/** How one event type maps: its class, its activity, and the attributes of that class it fills. */
export interface TypeMapping {
  class: OcsfClassKey;
  activity: number | ((event: StoredEvent) => number);
  /** activity_name for activity 99 (Other); else the class's caption of the activity. */
  activityName?: string;
  fill?: (event: StoredEvent) => Record<string, unknown>;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);

const ACTOR_USER_TYPE: Record<Actor['type'], { type_id: number; type: string }> = {
  user: { type_id: 1, type: 'User' },
  service: { type_id: 3, type: 'System' },
  device: { type_id: 99, type: 'Device' },
};

/** The trail's actor as an OCSF user: `uid` is the stored actor key (`device:r-17`), `name` its id. */
function actorUser(actor: Actor) {
  return { uid: `${actor.type}:${actor.id}`, name: actor.id, ...ACTOR_USER_TYPE[actor.type] };
}

/** A named user (payload or entity), as OCSF user. */
function namedUser(name: string) {
  return { uid: `user:${name}`, name, ...ACTOR_USER_TYPE.user };
}

/** The event's subject user: its entity when that is a user, else the actor. */
function subjectUser(event: StoredEvent) {
  return event.entity.type === 'user' ? namedUser(event.entity.id) : actorUser(event.actor);
}

/** Where the event came from: the channel always, with the MQTT/HTTP client id and IP when known. */
function sourceEndpoint(source: Source, ip?: unknown) {
  return { uid: text(source.clientId), name: source.channel, ip: text(ip) ?? text(source.ip), svc_name: null };
}

function entityEndpoint(entity: EntityRef) {
  return { uid: `${entity.type}:${entity.id}`, name: entity.id, ip: null, svc_name: entity.type };
}

/** The entity as an OCSF managed entity; the payload is its data (JSON text: Parquet holds it as a string). */
function managedEntity(entity: EntityRef, payload: Record<string, unknown>, version?: unknown) {
  return {
    uid: `${entity.type}:${entity.id}`,
    name: entity.id,
    type: entity.type,
    version: text(version),
    data: JSON.stringify(payload),
  };
}

const entityUpdate: TypeMapping = { class: 'entityManagement', activity: 3 };
const entityVersionUpdate: TypeMapping = {
  class: 'entityManagement',
  activity: 3,
  fill: (e) => ({ entity: managedEntity(e.entity, e.payload, e.payload.version) }),
};
/**
 * The fallback: an event the trail records about one of the fleet's managed entities that no OCSF class describes
 * better (telemetry, state, faults), as Entity Management with activity Other and the event type as activity_name.
 */
export const FALLBACK_MAPPING: TypeMapping = { class: 'entityManagement', activity: 99 };

const HTTP_ACTIVITY: Record<string, number> = { POST: 1, GET: 2, HEAD: 2, PUT: 3, PATCH: 3, DELETE: 4 };

/** A read of the audit log, recorded by the trail itself (audit.accessed, audit.access.completed). */
function auditRead(e: StoredEvent): Record<string, unknown> {
  return {
    api: { operation: `read ${String(e.payload.route)}`, service: { name: text(e.payload.route) }, request: null },
    resources: [{ uid: 'audit-log', name: 'audit log', type: 'audit log' }],
  };
}

const logon = (activity: 1 | 2): TypeMapping => ({ class: 'authentication', activity });
const session = (activity: 1 | 2): TypeMapping => ({
  class: 'authentication',
  activity,
  fill: (e) => ({
    user: text(e.payload.operator) ? namedUser(String(e.payload.operator)) : actorUser(e.actor),
    session: { uid: text(e.payload.sessionId) },
    dst_endpoint: entityEndpoint(e.entity),
  }),
});
const accountPolicy = (activity: 7 | 8): TypeMapping => ({
  class: 'accountChange',
  activity,
  fill: (e) => ({ policy: { name: text(e.payload.permission), uid: null } }),
});

/**
 * Every built-in event type's mapping (docs/ocsf.md has the table). A built-in type missing here fails
 * test/ocsf/mapping.unit.test.ts; a type a deployment registers (EXTRA_EVENT_TYPES) takes FALLBACK_MAPPING.
 */
export const OCSF_MAPPINGS: Readonly<Record<string, TypeMapping>> = {
  'robot.online': FALLBACK_MAPPING,
  'robot.offline': FALLBACK_MAPPING,
  'robot.config.pushed': entityVersionUpdate,
  'robot.firmware.queued': entityVersionUpdate,
  'robot.firmware.applied': {
    ...entityVersionUpdate,
    fill: (e) => ({
      ...entityVersionUpdate.fill!(e),
      ...(e.payload.success === false ? { status_id: 2, status: 'Failure' } : { status_id: 1, status: 'Success' }),
    }),
  },
  'robot.session.started': session(1),
  'robot.session.ended': session(2),
  'sensor.threshold.breached': FALLBACK_MAPPING,
  'sensor.threshold.recovered': FALLBACK_MAPPING,
  'sensor.offline': FALLBACK_MAPPING,
  'sensor.battery.low': FALLBACK_MAPPING,
  'sensor.payload.decode_failed': FALLBACK_MAPPING,
  'container.bay.assigned': entityUpdate,
  'container.moved': entityUpdate,
  'container.weight.captured': FALLBACK_MAPPING,
  'container.temperature.captured': FALLBACK_MAPPING,
  'container.batch.changed': entityUpdate,
  'controller.state.changed': entityUpdate,
  'controller.register.overridden': entityUpdate,
  'controller.protocol.error': FALLBACK_MAPPING,
  'user.login': logon(1),
  'user.logout': logon(2),
  'user.role.changed': { class: 'accountChange', activity: 99, activityName: 'Role Change' },
  'user.permission.granted': accountPolicy(7),
  'user.permission.revoked': accountPolicy(8),
  'user.override': {
    class: 'entityManagement',
    activity: 3,
    fill: (e) => ({
      entity: { ...managedEntity(e.entity, e.payload), name: text(e.payload.target) ?? e.entity.id },
    }),
  },
  'audit.accessed': { class: 'apiActivity', activity: 2, fill: auditRead },
  'audit.access.completed': {
    class: 'apiActivity',
    activity: 2,
    fill: (e) => ({
      ...auditRead(e),
      ...(e.payload.outcome === 'complete'
        ? { status_id: 1, status: 'Success' }
        : { status_id: 2, status: 'Failure', status_detail: text(e.payload.reason) ?? text(e.payload.outcome) }),
    }),
  },
  'audit.api.request': {
    class: 'apiActivity',
    activity: (e) => HTTP_ACTIVITY[String(e.payload.method).toUpperCase()] ?? 99,
    fill: (e) => {
      const status = Number(e.payload.status);
      const principal = text(e.payload.principal);
      return {
        actor: { user: principal ? namedUser(principal) : actorUser(e.actor) },
        api: {
          operation: `${String(e.payload.method)} ${String(e.payload.route)}`,
          service: { name: text(e.payload.route) },
          request: text(e.payload.requestId) ? { uid: String(e.payload.requestId) } : null,
        },
        src_endpoint: sourceEndpoint(e.source, e.payload.sourceIp),
        http_request: {
          http_method: text(e.payload.method),
          user_agent: text(e.payload.userAgent),
          url: { path: text(e.payload.route) },
        },
        status_code: Number.isFinite(status) ? String(status) : null,
        ...(status < 400 ? { status_id: 1, status: 'Success' } : { status_id: 2, status: 'Failure' }),
      };
    },
  },
};

/** The mapping an event type takes: its own, or the fallback. */
export function mappingOf(type: string): TypeMapping {
  return OCSF_MAPPINGS[type] ?? FALLBACK_MAPPING;
}

/** The OCSF class key of an event type. */
export function ocsfClassOf(type: string): OcsfClassKey {
  return mappingOf(type).class;
}

/** What every class carries, and the class's required objects filled from the event (a mapping may refine them). */
function classDefaults(key: OcsfClassKey, event: StoredEvent, product: OcsfProduct): Record<string, unknown> {
  switch (key) {
    case 'accountChange':
      return { user: subjectUser(event), policy: null };
    case 'authentication':
      return {
        user: subjectUser(event),
        service: { name: product.name, uid: null },
        session: null,
        dst_endpoint: null,
      };
    case 'entityManagement':
      return { entity: managedEntity(event.entity, event.payload) };
    case 'apiActivity':
      return { api: null, resources: null, http_request: null };
  }
}

/**
 * One stored event as an OCSF record of its class. Pure: the same event and product give the same record.
 * Times are epoch milliseconds (OCSF timestamp_t); what OCSF has no attribute for is in `unmapped` (JSON text values).
 */
export function toOcsf(event: StoredEvent, product: OcsfProduct = DEFAULT_PRODUCT): OcsfRecord {
  const mapping = mappingOf(event.type);
  const ocsfClass = OCSF_CLASSES[mapping.class];
  const activityId = typeof mapping.activity === 'function' ? mapping.activity(event) : mapping.activity;
  const activities: Readonly<Record<number, string>> = ocsfClass.activities;
  const activityName = activityId === 99 ? (mapping.activityName ?? event.type) : (activities[activityId] ?? 'Unknown');
  const severity = OCSF_SEVERITY[event.severity];
  return {
    class_uid: ocsfClass.uid,
    class_name: ocsfClass.name,
    category_uid: ocsfClass.categoryUid,
    category_name: ocsfClass.categoryName,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: ocsfClass.uid * 100 + activityId,
    type_name: `${ocsfClass.name}: ${activityName}`,
    severity_id: severity.id,
    severity: severity.name,
    time: Date.parse(event.occurredAt),
    message: `${event.type} on ${event.entity.type}:${event.entity.id}`,
    status_id: null,
    status: null,
    status_code: null,
    status_detail: null,
    metadata: {
      version: OCSF_VERSION,
      uid: event.id,
      event_code: event.type,
      logged_time: Date.parse(event.receivedAt),
      correlation_uid: event.traceId ?? null,
      product: { name: product.name, vendor_name: product.vendor_name, version: product.version ?? null },
    },
    actor: { user: actorUser(event.actor) },
    src_endpoint: sourceEndpoint(event.source),
    ...classDefaults(mapping.class, event, product),
    ...mapping.fill?.(event),
    unmapped: unmapped(event),
  };
}

/** The event's fields OCSF has no attribute for, each as JSON text (a Parquet MAP of strings). */
function unmapped(event: StoredEvent): Record<string, string> {
  return {
    entity: JSON.stringify(event.entity),
    related: JSON.stringify(event.related),
    payload: JSON.stringify(event.payload),
    source: JSON.stringify(event.source),
    severity: event.severity,
    ...(event.spanId && { span_id: event.spanId }),
    ...(event.causationId && { causation_id: event.causationId }),
  };
}
