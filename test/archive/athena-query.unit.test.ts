import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecutionState,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaArchiveQuery, athenaLiteral } from '../../shared/adapters/athena/athena-query.ts';
import { bindNamedQuery, NAMED_QUERIES } from '../../shared/core/archive/named-queries.ts';

const athena = mockClient(AthenaClient);
const sleeps: number[] = [];
const engine = (timeoutMs?: number) =>
  new AthenaArchiveQuery(new AthenaClient({ region: 'eu-west-1' }), {
    workGroup: 'audit',
    database: 'fleet_audit_prod',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
const state = (State: QueryExecutionState, StateChangeReason?: string) => ({
  QueryExecution: { Status: { State, ...(StateChangeReason && { StateChangeReason }) } },
});
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});
const meta = {
  ResultSetMetadata: {
    ColumnInfo: [
      { Name: 'actor', Type: 'varchar' },
      { Name: 'overrides', Type: 'bigint' },
    ],
  },
};

beforeEach(() => {
  athena.reset();
  sleeps.length = 0;
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
});

describe('Athena archive queries', () => {
  it('starts the query in the workgroup and database, with parameters as SQL literals', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ...meta, Rows: [row('actor', 'overrides')] } });
    const { sql, values } = bindNamedQuery(NAMED_QUERIES['top-override-actors'], {
      since: '2025-01-01 00:00:00.000',
      until: "2025-02-01 00:00:00.000'; DROP",
    });
    await engine().run(sql, values);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: sql,
      WorkGroup: 'audit',
      QueryExecutionContext: { Database: 'fleet_audit_prod' },
      ExecutionParameters: [
        "'2025-01-01 00:00:00.000'",
        "'2025-02-01 00:00:00.000''; DROP'",
        "'2025-01-01 00:00:00.000'",
        "'2025-02-01 00:00:00.000''; DROP'",
      ],
    });
    expect(sql).not.toMatch(/:[a-z]/);
  });

  it('sends no ExecutionParameters for a query without any', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ...meta, Rows: [] } });
    await engine().run('SELECT 1');
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).not.toHaveProperty('ExecutionParameters');
  });

  it('polls with doubling pauses until the query succeeds', async () => {
    athena
      .on(GetQueryExecutionCommand, { QueryExecutionId: 'q-1' })
      .resolvesOnce(state('QUEUED'))
      .resolvesOnce(state('RUNNING'))
      .resolvesOnce(state('RUNNING'))
      .resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ...meta, Rows: [row('actor', 'overrides')] } });
    await engine().run('SELECT 1');
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(4);
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it('pages through the results, dropping the header row of the first page only', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand)
      .resolves({})
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({ ResultSet: { ...meta, Rows: [row('actor', 'overrides'), row('user:alice', '7')] }, NextToken: 't2' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 't2' })
      .resolves({ ResultSet: { ...meta, Rows: [row('user:bob', '3'), row(undefined, '1')] } });
    const result = await engine().run('SELECT actor, count(*) AS overrides FROM events GROUP BY actor');
    expect(result).toEqual({
      columns: ['actor', 'overrides'],
      rows: [
        ['user:alice', '7'],
        ['user:bob', '3'],
        [null, '1'],
      ],
    });
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1', NextToken: undefined, MaxResults: 1000 },
      { QueryExecutionId: 'q-1', NextToken: 't2', MaxResults: 1000 },
    ]);
  });

  it.each(['FAILED', 'CANCELLED'] as const)('reports a %s query with its reason', async (final) => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('RUNNING'))
      .resolves(state(final, 'TABLE_NOT_FOUND: events'));
    await expect(engine().run('SELECT 1')).rejects.toThrow(`Athena query q-1 ${final}: TABLE_NOT_FOUND: events`);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('gives up on a query that runs past the timeout', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
    await expect(engine(0).run('SELECT 1')).rejects.toThrow('Athena query q-1 still RUNNING after 0 ms');
  });

  it('quotes literals', () => {
    expect(athenaLiteral("o'brien")).toBe("'o''brien'");
  });
});
