import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogFromEnv, deadLetterQueueUrl, loadConfig, queueUrl } from '../../shared/apps/runtime/config.ts';

const shape = {
  QUEUE_URL: queueUrl,
  DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
  BATCH_SIZE: z.coerce.number().int().positive().default(10).describe('Largest writer batch'),
  STAGE: z.string().optional(),
};

const valid = {
  QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events.fifo',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events-dlq.fifo',
};

describe('loadConfig', () => {
  it('parses the environment with defaults and coercion', () => {
    expect(loadConfig(shape, { ...valid, BATCH_SIZE: '5', UNRELATED: 'x' })).toEqual({ ...valid, BATCH_SIZE: 5 });
    expect(loadConfig(shape, valid).BATCH_SIZE).toBe(10);
  });

  it('a missing variable: the error names it and says what it is for', () => {
    expect(() => loadConfig(shape, { DEAD_LETTER_QUEUE_URL: valid.DEAD_LETTER_QUEUE_URL })).toThrow(
      'Configuration error: QUEUE_URL is not set: URL of the SQS FIFO queue events are put on',
    );
  });

  it('an invalid variable: the error names it and gives the reason', () => {
    const error = (() => {
      try {
        loadConfig(shape, { ...valid, BATCH_SIZE: 'lots' });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected loadConfig to throw');
    })();
    expect(error.message).toMatch(/^Configuration error: BATCH_SIZE is invalid \(.+\): Largest writer batch$/);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig(shape, { QUEUE_URL: 'not a url' })).toThrow(
      /QUEUE_URL is invalid .*; DEAD_LETTER_QUEUE_URL is not set/,
    );
  });

  it('a variable without a description is still named', () => {
    expect(() => loadConfig({ REGION: z.string() }, {})).toThrow(/^Configuration error: REGION is not set$/);
  });

  it('reads process.env by default', () => {
    const name = 'AUDIT_TEST_CONFIG_VALUE';
    process.env[name] = 'from-process-env';
    try {
      expect(loadConfig({ [name]: z.string() })).toEqual({ [name]: 'from-process-env' });
    } finally {
      delete process.env[name];
    }
  });
});

describe('catalogFromEnv', () => {
  it('registers EXTRA_EVENT_TYPES next to the built-in types', () => {
    const catalog = catalogFromEnv({ EXTRA_EVENT_TYPES: 'lab.sample.taken:ERROR' });
    expect(catalog.get('lab.sample.taken')?.defaultSeverity).toBe('ERROR');
    expect(catalog.has('robot.online')).toBe(true);
  });

  it('without the variable, only built-ins', () => {
    expect(catalogFromEnv({}).has('lab.sample.taken')).toBe(false);
  });

  it('a bad EXTRA_EVENT_TYPES fails fast, naming the variable', () => {
    expect(() => catalogFromEnv({ EXTRA_EVENT_TYPES: 'Not Valid' })).toThrow(/EXTRA_EVENT_TYPES/);
  });
});
