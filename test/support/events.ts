import { type StoredEvent, storedEventSchema } from '../../shared/core/domain/event.ts';
import { uuidv7 } from '../../shared/core/domain/ids.ts';

/** A valid stored event (checked against the schema), with the given fields replaced. */
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return storedEventSchema.parse({
    id: uuidv7(),
    type: 'robot.online',
    severity: 'INFO',
    occurredAt: '2026-05-10T12:00:00.000Z',
    receivedAt: '2026-05-10T12:00:01.000Z',
    entity: { type: 'robot', id: 'r-17' },
    related: [],
    actor: { type: 'device', id: 'r-17' },
    source: { channel: 'iot', principal: 'r-17' },
    payload: {},
    ...overrides,
  });
}

let sequence = 0;

/** A stored event about `type:id` (e.g. `robot:r-1`), reported by that device, with a unique id in creation order. */
export function eventAbout(entityKey: string, overrides: Partial<StoredEvent> = {}): StoredEvent {
  const [type = '', id = ''] = entityKey.split(':');
  sequence++;
  return storedEvent({
    id: `0196b3a0-0000-7000-8000-${String(sequence).padStart(12, '0')}`,
    entity: { type, id },
    actor: { type: 'device', id },
    source: { channel: 'iot', principal: id },
    ...overrides,
  });
}
