import type { DeadLetterSummary } from '../../core/dlq/summary.ts';
import { findDeadLetter, listDeadLetters, type RedriveOutcome } from '../../core/dlq/workflow.ts';
import { type DlqLocation, type DlqTarget, dlqTarget } from './dlq-target.ts';

export interface DlqOptions extends DlqLocation {
  json?: boolean | undefined;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** `trail dlq list`: every message it can see, none consumed (a table, or one JSON object per line). */
export async function runDlqList(options: DlqOptions): Promise<number> {
  return withTarget(options, async (target) => {
    const { messages, depth } = await listDeadLetters(target.queue);
    const summaries = messages.map((message) => target.kind.describe(message));
    if (options.json) for (const summary of summaries) out(JSON.stringify(summary));
    else if (summaries.length === 0) out(`${target.name} is empty`);
    else printTable(summaries);
    // A FIFO queue hides a group's later messages while an earlier one is held.
    if (depth > messages.length)
      process.stderr.write(
        `${depth - messages.length} more message(s) in ${target.name} are not listed: on a FIFO queue they are behind earlier messages of their group; redrive those to see them\n`,
      );
    return 0;
  });
}

/** `trail dlq show <id>`: one message whole, as JSON. */
export async function runDlqShow(id: string, options: DlqOptions): Promise<number> {
  return withTarget(options, async (target) => {
    const message = await findDeadLetter(target.queue, id);
    if (!message) throw new Error(`no message ${id} in ${target.name} (trail dlq list shows what is there)`);
    out(JSON.stringify(target.kind.show(message), null, 2));
    return 0;
  });
}

/** `trail dlq redrive --all | <id>…`: resends, then deletes; exit 1 if any message stays. */
export async function runDlqRedrive(select: 'all' | string[], options: DlqOptions): Promise<number> {
  return withTarget(options, async (target) => {
    const outcomes = await target.redrive(select, (outcome) =>
      out(options.json ? JSON.stringify(outcome) : describeOutcome(outcome)),
    );
    const redriven = outcomes.filter((outcome) => outcome.status === 'redriven').length;
    const left = outcomes.length - redriven;
    if (!options.json) out(outcomes.length === 0 ? `nothing to redrive in ${target.name}` : `redriven: ${redriven}`);
    if (left === 0) return 0;
    process.stderr.write(`trail dlq redrive: ${left} message(s) not redriven, still in ${target.name} (see above)\n`);
    return 1;
  });
}

async function withTarget(options: DlqOptions, run: (target: DlqTarget) => Promise<number>): Promise<number> {
  const target = await dlqTarget(options);
  try {
    return await run(target);
  } finally {
    target.close();
  }
}

function describeOutcome(outcome: RedriveOutcome): string {
  if (outcome.status === 'redriven') return `redriven   ${outcome.id}${outcome.note ? `: ${outcome.note}` : ''}`;
  return `${outcome.status.padEnd(10)} ${outcome.id}: ${outcome.why}`;
}

const REASON_WIDTH = 90;

function printTable(summaries: readonly DeadLetterSummary[]): void {
  const rows = summaries.map((s) => [
    s.id,
    s.kind,
    s.group ?? '-',
    String(s.eventIds.length),
    s.deadLetteredAt ?? '-',
    String(s.receives),
    s.redrivable ? 'yes' : 'no',
    s.reason.length > REASON_WIDTH ? `${s.reason.slice(0, REASON_WIDTH - 1)}…` : s.reason,
  ]);
  const header = ['ID', 'KIND', 'GROUP', 'EVENTS', 'DEAD-LETTERED', 'RECEIVES', 'REDRIVE', 'REASON'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows])
    out(
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    );
}
