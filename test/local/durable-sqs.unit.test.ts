import { describe, expect, it } from 'vitest';
import { queueName } from '../../shared/apps/local/durable-sqs.ts';

describe('the durable SQS endpoint', () => {
  it('takes the queue a URL names from its last path segment, without its query or fragment', () => {
    expect(queueName('http://127.0.0.1:4566/000000000000/audit-events.fifo')).toBe('audit-events.fifo');
    expect(queueName('http://127.0.0.1:4566/000000000000/audit-events.fifo?x=/y#z/w')).toBe('audit-events.fifo');
    expect(queueName('http://fauxqs.internal/000000000000/audit-events-dlq.fifo')).toBe('audit-events-dlq.fifo');
    expect(queueName('audit-events.fifo')).toBe('audit-events.fifo');
  });
});
