import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext } from '../../shared/apps/local/lambda-context.ts';
import { CRITICAL_ALERT_TOPIC } from '../../shared/core/contracts/alerts.ts';
import { packEvents } from '../../shared/core/ingest/packing.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';
import { sqsRecord } from '../support/sqs-records.ts';

// The Lambda entry point builds its dependencies from the environment, as on AWS: this checks that wiring.
const iot = mockClient(IoTDataPlaneClient);
let db: TestDatabase;
let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;

beforeAll(async () => {
  db = await createTestDatabase('writer_lambda');
  Object.assign(process.env, {
    DATABASE_URL: db.url,
    DB_ROLE: 'audit_writer',
    // No message here is poison, so the DLQ is never called.
    DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/audit-events-dlq.fifo',
    IOT_ENDPOINT: 'example-ats.iot.eu-west-1.amazonaws.com',
    ALERT_TOPIC: CRITICAL_ALERT_TOPIC,
    AWS_REGION: 'eu-west-1',
  });
  ({ handler } = await import('../../functions/writer/handler.ts'));
});

afterAll(async () => {
  for (const name of ['DATABASE_URL', 'DB_ROLE', 'DLQ_URL', 'IOT_ENDPOINT', 'ALERT_TOPIC']) delete process.env[name];
  iot.restore();
  await db?.drop();
});

describe('writer Lambda entry point', () => {
  it('stores the batch as audit_writer and publishes its CRITICAL event on the alert topic', async () => {
    iot.on(PublishCommand).resolves({});
    const critical = storedEvent({
      entity: { type: 'robot', id: 'lambda-1' },
      severity: 'CRITICAL',
      type: 'robot.offline',
    });
    const info = storedEvent({ entity: { type: 'robot', id: 'lambda-1' } });
    const [message] = packEvents([critical, info]);
    const event: SQSEvent = { Records: [sqsRecord(message!.body, message!.groupId, 'm-1')] };
    expect(await handler(event, localContext('writer'))).toEqual({ batchItemFailures: [] });
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM events ORDER BY severity_number DESC');
    expect(rows.map((r) => r.id)).toEqual([critical.id, info.id]);
    const publishes = iot.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]!.args[0].input).toMatchObject({ topic: CRITICAL_ALERT_TOPIC, qos: 1 });
    expect(JSON.parse(new TextDecoder().decode(publishes[0]!.args[0].input.payload as Uint8Array))).toMatchObject({
      id: critical.id,
    });
  });

  it('reports the record failed when the alert cannot be published, so SQS redelivers it', async () => {
    iot.reset();
    iot.on(PublishCommand).rejects(new Error('ThrottlingException'));
    const critical = storedEvent({ entity: { type: 'robot', id: 'lambda-2' }, severity: 'CRITICAL' });
    const [message] = packEvents([critical]);
    const response = await handler(
      { Records: [sqsRecord(message!.body, message!.groupId, 'm-2')] },
      localContext('writer'),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
  });
});

describe('database pool', () => {
  it('survives the server closing an idle connection', async () => {
    const { createPool } = await import('../../shared/adapters/postgres/pool.ts');
    const pool = createPool({ connectionString: db.url, max: 1 });
    try {
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
