import { describe, expect, it } from 'vitest';
import { countBy, emitEventMetrics } from '../../shared/apps/runtime/event-metrics.ts';
import { eventAbout } from '../support/events.ts';
import { recordingMetrics } from '../support/metrics.ts';

describe('event metrics', () => {
  it('counts by any key', () => {
    const events = [
      eventAbout('robot:a', { severity: 'INFO' }),
      eventAbout('robot:a', { severity: 'CRITICAL' }),
      eventAbout('robot:b', { severity: 'INFO' }),
    ];
    expect(Object.fromEntries(countBy(events, (e) => e.severity))).toEqual({ INFO: 2, CRITICAL: 1 });
    expect(countBy([], (e) => e.type).size).toBe(0);
  });

  it('emits Events{severity} and EventsByType{type} without the service dimension', () => {
    const { metrics, published } = recordingMetrics();
    emitEventMetrics(metrics, [
      eventAbout('robot:a', { severity: 'CRITICAL', type: 'robot.offline' }),
      eventAbout('robot:a', { severity: 'INFO', type: 'robot.online' }),
      eventAbout('robot:b', { severity: 'INFO', type: 'robot.online' }),
    ]);
    expect(published.map(({ name, dimensions, value }) => ({ name, dimensions, value }))).toEqual([
      { name: 'Events', dimensions: { severity: 'CRITICAL' }, value: 1 },
      { name: 'Events', dimensions: { severity: 'INFO' }, value: 2 },
      { name: 'EventsByType', dimensions: { type: 'robot.offline' }, value: 1 },
      { name: 'EventsByType', dimensions: { type: 'robot.online' }, value: 2 },
    ]);
  });
});
