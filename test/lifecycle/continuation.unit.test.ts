import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { lambdaContinuation } from '../../shared/adapters/lambda/lambda-continuation.ts';
import {
  type ContinuationEvent,
  continuationOf,
  continueMaintenance,
  type StartContinuation,
} from '../../shared/core/lifecycle/continuation.ts';
import { emptyMaintenanceResult, type MaintenanceResult } from '../../shared/core/lifecycle/result.ts';

const NOW = new Date('2024-06-01T04:45:00Z');
const run = (status: MaintenanceResult['status']): MaintenanceResult => ({ ...emptyMaintenanceResult(NOW), status });

function recordingStart() {
  const started: { event: ContinuationEvent; functionName: string }[] = [];
  const start: StartContinuation = async (event, functionName) => {
    started.push({ event, functionName });
  };
  return { start, started };
}

describe('continuationOf', () => {
  it('reads the continuation of a continuation event, and nothing from any other event', () => {
    expect(continuationOf({ continuation: { hop: 2, chainStartedAt: '2024-06-01T04:45:00.000Z' } })).toEqual({
      hop: 2,
      chainStartedAt: '2024-06-01T04:45:00.000Z',
    });
    for (const event of [{}, null, undefined, 'x', { source: 'aws.events', 'detail-type': 'Scheduled Event' }])
      expect(continuationOf(event)).toBeUndefined();
  });

  it('refuses a malformed continuation rather than run it as a fresh start (which would reset the count)', () => {
    for (const continuation of [{ hop: 0, chainStartedAt: '2024-06-01T04:45:00Z' }, { hop: '3' }, null])
      expect(() => continuationOf({ continuation })).toThrow(/not a maintenance continuation event/);
  });
});

describe('continueMaintenance', () => {
  const deps = (start: StartContinuation, maxHops = 3) => ({ start, functionName: 'maintenance-fn', maxHops });

  it('asks for the next invocation of this function when a run paused, counting the hops of the chain', async () => {
    const { start, started } = recordingStart();
    expect(await continueMaintenance(run('paused'), undefined, deps(start))).toEqual({
      action: 'continued',
      next: { hop: 1, chainStartedAt: NOW.toISOString() },
      maxHops: 3,
    });
    const chain = { hop: 2, chainStartedAt: '2024-06-01T00:00:00.000Z' };
    expect(await continueMaintenance(run('paused'), chain, deps(start))).toMatchObject({
      action: 'continued',
      next: { hop: 3, chainStartedAt: chain.chainStartedAt },
    });
    expect(started).toEqual([
      { event: { continuation: { hop: 1, chainStartedAt: NOW.toISOString() } }, functionName: 'maintenance-fn' },
      { event: { continuation: { hop: 3, chainStartedAt: chain.chainStartedAt } }, functionName: 'maintenance-fn' },
    ]);
  });

  it('stops at the bound, and never continues a finished, failed or (fresh) skipped run', async () => {
    const { start, started } = recordingStart();
    const atBound = { hop: 3, chainStartedAt: '2024-06-01T00:00:00.000Z' };
    expect(await continueMaintenance(run('paused'), atBound, deps(start))).toEqual({
      action: 'stopped',
      hop: 3,
      maxHops: 3,
      chainStartedAt: atBound.chainStartedAt,
    });
    expect(await continueMaintenance(run('paused'), undefined, deps(start, 0))).toMatchObject({ action: 'stopped' });
    for (const status of ['done', 'failed', 'skipped'] as const)
      expect(await continueMaintenance(run(status), undefined, deps(start))).toEqual({ action: 'none' });
    expect(await continueMaintenance(run('done'), atBound, deps(start))).toEqual({ action: 'none' });
    expect(started).toEqual([]);
  });

  it('reports a continuation that found the lock taken as blocked, without asking for another', async () => {
    const { start, started } = recordingStart();
    const chain = { hop: 5, chainStartedAt: '2024-06-01T00:00:00.000Z' };
    expect(await continueMaintenance(run('skipped'), chain, deps(start))).toEqual({ action: 'blocked', hop: 5 });
    expect(started).toEqual([]);
  });

  it('fails loudly when the continuation cannot be started', async () => {
    const refused: StartContinuation = async () => {
      throw new Error('AccessDeniedException');
    };
    await expect(continueMaintenance(run('paused'), undefined, deps(refused))).rejects.toThrow(
      'could not start maintenance continuation 1: AccessDeniedException',
    );
  });
});

describe('lambdaContinuation', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  it('invokes the function asynchronously (InvocationType Event) with the continuation as JSON', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const start = lambdaContinuation(new LambdaClient({ region: 'eu-west-1' }));
    const event = { continuation: { hop: 1, chainStartedAt: NOW.toISOString() } };
    await start(event, 'FleetAudit-dev-Stateless-LifecycleFunction');
    await start({ continuation: { ...event.continuation, hop: 2 } }, 'FleetAudit-dev-Stateless-LifecycleFunction');
    const inputs = lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toMatchObject({
      FunctionName: 'FleetAudit-dev-Stateless-LifecycleFunction',
      InvocationType: 'Event',
    });
    expect(JSON.parse(new TextDecoder().decode(inputs[0]!.Payload as Uint8Array))).toEqual(event);
    expect(JSON.parse(new TextDecoder().decode(inputs[1]!.Payload as Uint8Array)).continuation.hop).toBe(2);
  });

  it('throws when Lambda does not accept the event (anything but 202), or refuses the call', async () => {
    const start = lambdaContinuation(new LambdaClient({ region: 'eu-west-1' }));
    const event = { continuation: { hop: 1, chainStartedAt: NOW.toISOString() } };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
    await expect(start(event, 'fn')).rejects.toThrow(/200, not 202/);
    lambda.on(InvokeCommand).rejects(new Error('AccessDeniedException: lambda:InvokeFunction'));
    await expect(start(event, 'fn')).rejects.toThrow(/AccessDeniedException/);
  });
});
