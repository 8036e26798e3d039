import { describe, expect, it } from 'vitest';
import { countBy, emitEventMetrics } from '../../shared/apps/runtime/event-metrics.ts';
import { type EmfDocument, newMetrics, routeMetrics } from '../../shared/apps/runtime/observability.ts';
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

  it('publishes through real Powertools Metrics: one EMF document per value, no dimension carried to the next batch', () => {
    const documents: EmfDocument[] = [];
    const unroute = routeMetrics((emf) => documents.push(emf));
    try {
      const metrics = newMetrics('writer');
      emitEventMetrics(metrics, [eventAbout('robot:a', { severity: 'CRITICAL', type: 'robot.offline' })]);
      emitEventMetrics(metrics, [eventAbout('robot:b', { severity: 'INFO', type: 'robot.online' })]);
    } finally {
      unroute();
    }
    const seen = documents.map((emf) => {
      const { _aws, ...fields } = emf as unknown as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } };
      return { dimensions: _aws.CloudWatchMetrics[0]?.Dimensions, fields };
    });
    expect(seen).toEqual([
      { dimensions: [['severity']], fields: { severity: 'CRITICAL', Events: 1 } },
      { dimensions: [['type']], fields: { type: 'robot.offline', EventsByType: 1 } },
      { dimensions: [['severity']], fields: { severity: 'INFO', Events: 1 } },
      { dimensions: [['type']], fields: { type: 'robot.online', EventsByType: 1 } },
    ]);
  });
});
