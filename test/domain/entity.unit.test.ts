import { describe, expect, it } from 'vitest';
import { entityKey, entityRefSchema, KNOWN_ENTITY_TYPES, parseEntityKey } from '../../shared/core/domain/entity.ts';
import { SEVERITIES, severitiesAtLeast } from '../../shared/core/domain/severity.ts';

describe('entity refs', () => {
  it('knows the fleet kinds', () => {
    expect([...KNOWN_ENTITY_TYPES]).toEqual(['robot', 'sensor', 'container', 'controller', 'user']);
  });

  it('accepts known and extension kinds', () => {
    for (const type of [...KNOWN_ENTITY_TYPES, 'bay', 'firmware', 'line_2', 'dock-a']) {
      expect(entityRefSchema.safeParse({ type, id: 'x-1' }).success).toBe(true);
    }
  });

  it('refuses bad kinds and ids', () => {
    for (const ref of [
      { type: 'Robot', id: 'r-1' },
      { type: '1robot', id: 'r-1' },
      { type: '', id: 'r-1' },
      { type: 'robot', id: '' },
      { type: 'robot', id: 'r 1' },
      { type: 'robot', id: 'r:1' },
      { type: 'robot', id: 'r'.repeat(129) },
      { type: 'robot', id: 'r-1', extra: true },
    ]) {
      expect(entityRefSchema.safeParse(ref).success).toBe(false);
    }
  });

  it('entityKey and parseEntityKey round-trip', () => {
    expect(entityKey({ type: 'robot', id: 'r-17' })).toBe('robot:r-17');
    expect(parseEntityKey('robot:r-17')).toEqual({ type: 'robot', id: 'r-17' });
    expect(parseEntityKey('user:alice@example.com')).toEqual({ type: 'user', id: 'alice@example.com' });
  });

  it('parseEntityKey refuses text that is not type:id', () => {
    for (const key of ['robot', ':r-17', 'robot:', 'robot:r:17', 'Robot:r-17', "robot:r-17' OR 1=1", '']) {
      expect(parseEntityKey(key)).toBeUndefined();
    }
  });
});

describe('severities', () => {
  it('are ordered lowest first', () => {
    expect([...SEVERITIES]).toEqual(['INFO', 'WARNING', 'ERROR', 'CRITICAL']);
  });

  it('severitiesAtLeast', () => {
    expect(severitiesAtLeast('ERROR')).toEqual(['ERROR', 'CRITICAL']);
    expect(severitiesAtLeast('INFO')).toEqual([...SEVERITIES]);
    expect(severitiesAtLeast('CRITICAL')).toEqual(['CRITICAL']);
  });
});
