import { describe, expect, it } from 'vitest';
import { BUILT_IN_EVENT_TYPES, createCatalog, parseExtraEventTypes } from '../../shared/core/domain/catalog.ts';
import { type StoredEvent, validateEvent } from '../../shared/core/domain/event.ts';
import { OCSF_CLASSES, OCSF_VERSION } from '../../shared/core/ocsf/classes.ts';
import { FALLBACK_MAPPING, OCSF_MAPPINGS, toOcsf } from '../../shared/core/ocsf/mapping.ts';
import { ocsfParquetColumns } from '../../shared/core/ocsf/parquet-schema.ts';
import { ocsfProblems } from '../../shared/core/ocsf/validate.ts';
import { SAMPLES } from '../support/catalog-samples.ts';

const catalog = createCatalog(parseExtraEventTypes('lab.sample.taken:ERROR'));
const receivedAt = new Date('2026-05-31T23:30:00.250Z');

/** A stored event of a type, with its realistic sample payload, as ingest makes it. */
function storedEvent(type: string, payload = SAMPLES[type]?.good ?? {}): StoredEvent {
  const entityType = type.split('.')[0] === 'audit' ? 'audit' : type.split('.')[0]!;
  const result = validateEvent(
    {
      type,
      entity: { type: entityType, id: `${entityType}-1` },
      related: [{ type: 'container', id: 'c-9' }],
      occurredAt: '2026-05-31T23:29:59.125Z',
      payload,
      traceId: '0af7651916cd43dd8448eb211c80319c',
    },
    0,
    {
      actor: { type: 'device', id: 'r-17' },
      source: { channel: 'iot', principal: 'r-17', clientId: 'r-17' },
      roles: ['device'],
      receivedAt,
      catalog,
    },
  );
  if (Array.isArray(result)) throw new Error(`${type}: ${JSON.stringify(result)}`);
  return result;
}

describe('OCSF mapping', () => {
  it('has a mapping of its own for every built-in type of the catalog, and none for a type not in it', () => {
    const builtIn = BUILT_IN_EVENT_TYPES.map((d) => d.type);
    expect(builtIn.filter((type) => !(type in OCSF_MAPPINGS))).toEqual([]);
    expect(Object.keys(OCSF_MAPPINGS).filter((type) => !builtIn.includes(type))).toEqual([]);
  });

  it.each(BUILT_IN_EVENT_TYPES.map((d) => d.type))('maps %s to a record its class requires nothing more of', (type) => {
    const record = toOcsf(storedEvent(type));
    expect(ocsfProblems(record)).toEqual([]);
    const mapping = OCSF_MAPPINGS[type]!;
    expect(record.class_uid).toBe(OCSF_CLASSES[mapping.class].uid);
    expect(record.type_uid).toBe(record.class_uid * 100 + Number(record.activity_id));
    // The record has exactly its class's Parquet columns.
    expect(Object.keys(record).sort()).toEqual(
      ocsfParquetColumns(mapping.class)
        .map(([name]) => name)
        .sort(),
    );
  });

  it('keeps the event: id, type, times, trace, actor, source and payload', () => {
    const event = storedEvent('sensor.threshold.breached');
    const record = toOcsf(event, { name: 'Trail', vendor_name: 'Acme', version: '1.2.3' });
    expect(record).toMatchObject({
      class_uid: 3004,
      activity_id: 99,
      activity_name: 'sensor.threshold.breached',
      type_uid: 300499,
      severity_id: 3,
      time: Date.parse('2026-05-31T23:29:59.125Z'),
      metadata: {
        version: OCSF_VERSION,
        uid: event.id,
        event_code: 'sensor.threshold.breached',
        logged_time: receivedAt.getTime(),
        correlation_uid: '0af7651916cd43dd8448eb211c80319c',
        product: { name: 'Trail', vendor_name: 'Acme', version: '1.2.3' },
      },
      actor: { user: { uid: 'device:r-17', name: 'r-17', type_id: 99 } },
      src_endpoint: { uid: 'r-17', name: 'iot' },
      entity: { uid: 'sensor:sensor-1', type: 'sensor' },
    });
    const unmapped = record.unmapped as Record<string, string>;
    expect(JSON.parse(unmapped.payload!)).toEqual(event.payload);
    expect(JSON.parse(unmapped.related!)).toEqual([{ type: 'container', id: 'c-9' }]);
  });

  it('maps the activity and outcome from what the event says', () => {
    const request = (method: string, status: number) =>
      toOcsf(storedEvent('audit.api.request', { ...SAMPLES['audit.api.request']!.good, method, status }));
    expect(request('POST', 202)).toMatchObject({ activity_id: 1, type_uid: 600301, status_id: 1, status_code: '202' });
    expect(request('DELETE', 403)).toMatchObject({ activity_id: 4, status_id: 2 });
    expect(request('OPTIONS', 204)).toMatchObject({ activity_id: 99, activity_name: 'audit.api.request' });
    expect(request('GET', 401)).toMatchObject({
      src_endpoint: { ip: '203.0.113.7' },
      http_request: { http_method: 'GET', user_agent: 'curl/8.5.0' },
      api: { operation: 'GET GET /events', request: { uid: 'local-5e1f' } },
    });
    expect(toOcsf(storedEvent('user.login'))).toMatchObject({ class_uid: 3002, activity_id: 1, type_uid: 300201 });
    expect(toOcsf(storedEvent('user.permission.revoked'))).toMatchObject({
      class_uid: 3001,
      activity_id: 8,
      policy: { name: 'events:export' },
    });
    expect(toOcsf(storedEvent('robot.session.started'))).toMatchObject({
      user: { name: 'alice' },
      session: { uid: 's-991' },
      dst_endpoint: { uid: 'robot:robot-1' },
    });
    const failed = storedEvent('robot.firmware.applied', { version: '4.2.0', success: false });
    expect(toOcsf(failed)).toMatchObject({ status_id: 2, entity: { version: '4.2.0' } });
  });

  it('gives a type a deployment registers the fallback, which its class accepts', () => {
    const record = toOcsf(storedEvent('lab.sample.taken', { any: 'thing' }));
    expect(FALLBACK_MAPPING.class).toBe('entityManagement');
    expect(record).toMatchObject({
      class_uid: 3004,
      activity_id: 99,
      activity_name: 'lab.sample.taken',
      severity_id: 4,
    });
    expect(ocsfProblems(record)).toEqual([]);
  });

  it('finds what a record lacks', () => {
    const record = toOcsf(storedEvent('audit.accessed'));
    expect(ocsfProblems({ ...record, api: null, type_uid: 1 })).toEqual([
      'api is required',
      'api.operation is required',
      'type_uid 1 is not class_uid * 100 + activity_id',
    ]);
    expect(ocsfProblems({ ...record, src_endpoint: { uid: null, name: null, ip: null, svc_name: null } })).toEqual([
      'src_endpoint needs at least one of ip, uid, name, hostname, svc_name, instance_uid, interface_uid, interface_name',
    ]);
    const login = toOcsf(storedEvent('user.login'));
    expect(ocsfProblems({ ...login, service: null, activity_id: 7, type_uid: 300207 })).toEqual([
      '(event) needs at least one of service, dst_endpoint',
      'activity_id 7 is not an activity of Authentication',
    ]);
    expect(ocsfProblems({ ...login, metadata: { version: '1.1.0', product: {} } })).toContain(
      'metadata.product.vendor_name is required',
    );
  });
});
