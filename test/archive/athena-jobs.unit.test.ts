import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaArchiveJobs } from '../../shared/adapters/athena/athena-jobs.ts';
import { archiveScan } from '../../shared/core/archive/archive-scan.ts';

const athena = mockClient(AthenaClient);
const jobs = () =>
  new AthenaArchiveJobs(new AthenaClient({ region: 'eu-west-1' }), { workGroup: 'audit', database: 'db' });
const filter = {
  entity: { type: 'robot', id: "r-'9" },
  since: new Date('2024-01-01T00:00:00Z'),
  until: new Date('2025-01-01T00:00:00Z'),
};
const row = (...values: string[]) => ({ Data: values.map((v) => ({ VarCharValue: v })) });
const meta = {
  ResultSetMetadata: {
    ColumnInfo: [
      { Name: 'id', Type: 'varchar' },
      { Name: 'type', Type: 'varchar' },
    ],
  },
};

beforeEach(() => athena.reset());

describe('archive jobs on Athena', () => {
  it('start the scan in the workgroup and database, every value a quoted literal, and answer at once', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-7' });
    const scan = archiveScan(filter, { occurredAt: '2024-06-01T00:00:00.000Z', id: 'abc' });
    expect(await jobs().start(scan)).toBe('q-7');
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ WorkGroup: 'audit', QueryExecutionContext: { Database: 'db' } });
    expect(input.QueryString).toBe(scan.sql);
    expect(input.QueryString).not.toContain('r-');
    // Only the months up to the position are read: year 2024 alone.
    expect(input.ExecutionParameters?.slice(0, 2)).toEqual(["'2024'", "'2024'"]);
    expect(input.ExecutionParameters).toContain("'r-''9'");
    expect(input.ExecutionParameters).toContain(`'{"id": "r-''9", "type": "robot"}'`);
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['QUEUED', { state: 'running' }],
    ['RUNNING', { state: 'running' }],
    ['SUCCEEDED', { state: 'succeeded' }],
  ] as const)('report %s as %o', async (State, expected) => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State } } });
    expect(await jobs().status('q-7')).toEqual(expected);
  });

  it("report the workgroup's bytes-scanned cutoff as the job's failure, with Athena's reason", async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: { State: 'CANCELLED', StateChangeReason: 'Bytes scanned limit was exceeded' },
      },
    });
    expect(await jobs().status('q-7')).toEqual({
      state: 'failed',
      reason: 'the archive query cancelled: Bytes scanned limit was exceeded',
    });
  });

  it('page results by token: the header dropped from the first page only, the next token handed back', async () => {
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-7', NextToken: undefined })
      .resolves({ ResultSet: { ...meta, Rows: [row('id', 'type'), row('e-1', 'robot.online')] }, NextToken: 't-2' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-7', NextToken: 't-2' })
      .resolves({ ResultSet: { ...meta, Rows: [row('id', 'type')] } });
    const scan = archiveScan(filter);
    expect(await jobs().read('q-7', scan, undefined, 5000)).toEqual({
      rows: [{ id: 'e-1', type: 'robot.online' }],
      next: 't-2',
    });
    // A later page whose first row happens to read like the header is a row.
    expect(await jobs().read('q-7', scan, 't-2', 2)).toEqual({ rows: [{ id: 'id', type: 'type' }] });
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.MaxResults)).toEqual([1000, 2]);
  });
});
