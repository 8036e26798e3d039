import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADVISORY_LOCKS } from '../../shared/core/contracts/advisory-locks.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import { EMITTED_METRICS, METRICS_NAMESPACE } from '../../shared/core/contracts/metrics.ts';

/**
 * The contract constants (shared/core/contracts/) are written out once: infra, the functions, the shared code and the local
 * stack import them. This reads the sources for a copy typed out again, which would drift from the original unnoticed.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const CONTRACTS = 'shared/core/contracts/';
/** Shipped migrations may not be edited, so the lock id they were written with stays in their SQL. */
const SHIPPED_MIGRATIONS = 'shared/adapters/postgres/migrations/';

const sources = ['infra', 'functions', 'shared', 'bench'].flatMap((dir) =>
  (readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) =>
      relative(ROOT, join(ROOT, dir, file))
        .split('\\')
        .join('/'),
    )
    .filter((file) => !file.startsWith(CONTRACTS))
    .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') })),
);

/** `file: line` for each line quoting `value` as a string literal ('…' or "…"). */
function quoted(value: string, allowed: readonly string[] = []): string[] {
  const escaped = value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const literal = new RegExp(`(['"])${escaped}\\1`);
  return sources.flatMap(({ file, text }) =>
    text
      .split('\n')
      .map((line, index) => ({ line: line.trim(), at: `${file}:${index + 1}` }))
      .filter(({ line }) => literal.test(line) && !allowed.some((allow) => `${file}: ${line}`.includes(allow)))
      .map(({ line, at }) => `${at}: ${line}`),
  );
}

/** Same strings that are not metric names: construct ids, which name resources and may not change. */
const NOT_METRIC_NAMES = [
  "infra/constructs/event-queue.ts: this.queue = new sqs.Queue(this, 'Events', {",
  "infra/constructs/alarms.ts: 'MaintenanceContinuationsStopped',",
];

describe('contract constants are defined once, in shared/core/contracts/', () => {
  it('reads some sources', () => {
    expect(sources.map((source) => source.file)).toContain('infra/constructs/writer.ts');
  });

  it('the alert topic', () => {
    expect(quoted(CRITICAL_ALERT_TOPIC)).toEqual([]);
  });

  it('the metrics namespace and metric names', () => {
    expect(quoted(METRICS_NAMESPACE)).toEqual([]);
    expect(EMITTED_METRICS.flatMap((name) => quoted(name, NOT_METRIC_NAMES))).toEqual([]);
  });

  it('the advisory lock ids, except in shipped migrations', () => {
    const ids = new RegExp(
      `\\b(${Object.values(ADVISORY_LOCKS)
        .map((lock) => lock.classid)
        .join('|')})\\b`,
    );
    const copies = sources
      .filter(({ file }) => !file.startsWith(SHIPPED_MIGRATIONS))
      .flatMap(({ file, text }) => text.split('\n').flatMap((line, i) => (ids.test(line) ? [`${file}:${i + 1}`] : [])));
    expect(copies).toEqual([]);
  });

  it('the redrive count: no redrive policy with a number written in', () => {
    const copies = sources.flatMap(({ file, text }) => (/maxReceiveCount['"]?\s*:\s*\d/.test(text) ? [file] : []));
    expect(copies).toEqual([]);
  });
});
