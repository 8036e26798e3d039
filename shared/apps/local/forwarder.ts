import type pg from 'pg';
import type { SinkSpec } from '../../core/streams/sinks.ts';
import { composeSinkClients } from '../forwarder.ts';
import type { SinkSecrets } from '../streams/clients.ts';
import { describeForwarding, type ForwardingResult, forwardAll } from '../streams/forward-all.ts';
import { startRoundLoop } from './round-loop.ts';

/** How long one local round may keep sending before it lets stop() or the next tick in. */
const LOCAL_ROUND_MS = 5000;

export interface LocalForwarder {
  /** A round now, after the one running (if any). */
  forwardNow(): Promise<ForwardingResult>;
  /** Stops the cadence and waits for the round running. */
  stop(): Promise<void>;
}

/**
 * The stack's stand-in for the scheduled forwarder function: a round for every sink each `intervalMs`, as
 * audit_forwarder, in this process (it waits on sinks, it computes little). A tick while a round runs is skipped;
 * a sink's backoff is kept in its cursor row, so a tick during it does nothing for that sink. A failure is logged
 * when it starts or its reason changes, not on every retry.
 */
export function startLocalForwarder(options: {
  pool: pg.Pool;
  sinks: readonly SinkSpec[];
  secrets: SinkSecrets;
  serviceName: string;
  batchSize: number;
  intervalMs: number;
  log: (message: string) => void;
}): LocalForwarder {
  const client = composeSinkClients(options);
  const lastFailure = new Map<string, string | undefined>();
  const forwardOnce = () =>
    forwardAll(
      { pool: options.pool, sinks: options.sinks, client },
      { batchSize: options.batchSize, maxRoundMs: LOCAL_ROUND_MS },
    );
  const report = ({ rounds, statuses }: ForwardingResult) => {
    for (const sinkRound of rounds) {
      if (sinkRound.state !== 'ran') continue;
      const repeated = sinkRound.failure !== undefined && lastFailure.get(sinkRound.sink) === sinkRound.failure;
      lastFailure.set(sinkRound.sink, sinkRound.failure);
      if (repeated) continue;
      for (const line of describeForwarding({ rounds: [sinkRound], statuses })) options.log(`forwarder: ${line}`);
    }
  };
  const loop = startRoundLoop({
    name: 'forwarder',
    intervalMs: options.intervalMs,
    round: forwardOnce,
    report,
    log: options.log,
  });
  options.log(
    `forwarder: streaming the sealed log to ${options.sinks.map((s) => `${s.name} (${s.kind} ${s.url})`).join(', ')}`,
  );
  return { forwardNow: loop.runNow, stop: loop.stop };
}
