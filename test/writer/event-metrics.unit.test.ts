import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { countBy, emitEventMetrics } from '../../shared/writer/event-metrics.ts';
import { eventAbout } from '../support/events.ts';

/** Records what each single metric would publish: its dimensions and its value. */
function recordingMetrics() {
  const published: { dimensions: Record<string, string>; name: string; value: number; cleared: boolean }[] = [];
  const metrics = {
    singleMetric() {
      const entry = { dimensions: { service: 'writer' } as Record<string, string>, name: '', value: 0, cleared: false };
      published.push(entry);
      return {
        clearDefaultDimensions() {
          entry.dimensions = {};
          entry.cleared = true;
        },
        addDimension(name: string, value: string) {
          entry.dimensions[name] = value;
        },
        addMetric(name: string, _unit: string, value: number) {
          entry.name = name;
          entry.value = value;
        },
      };
    },
  } as unknown as Metrics;
  return { metrics, published };
}

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
