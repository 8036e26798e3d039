import { type Interaction, type InteractionRecord, single } from './interaction.ts';

/** How many bursts are held at once; at the limit, every held summary is written out and tracking starts afresh. */
export const MAX_HELD_BURSTS = 10_000;
const MINUTE_MS = 60_000;

interface Burst {
  minute: number;
  /** What came after the burst's first failure, which was recorded alone. */
  held?: InteractionRecord;
}

/**
 * Flood control for the interaction log. Successes are all recorded. Failures (status ≥ 400) are grouped by route,
 * status, source IP and principal within one clock minute: the first is recorded at once, the others of that minute
 * are counted and written as one summary (`count`, `firstAt`, `lastAt`) once the minute is over. A flood of N
 * identical failures in a minute costs two records whose counts add up to N. Memory is bounded by MAX_HELD_BURSTS.
 */
export class FailureSummarizer {
  private readonly bursts = new Map<string, Burst>();

  constructor(private readonly maxBursts = MAX_HELD_BURSTS) {}

  /** The records to write now for `interaction` (none when it joins a burst already recorded this minute). */
  offer(interaction: Interaction): InteractionRecord[] {
    if (interaction.status < 400) return [single(interaction)];
    const key = burstKey(interaction);
    const minute = Math.floor(interaction.at.getTime() / MINUTE_MS);
    const burst = this.bursts.get(key);
    if (burst && burst.minute === minute) {
      burst.held = burst.held ? merge(burst.held, interaction) : single(interaction);
      return [];
    }
    const out: InteractionRecord[] = [];
    if (burst) {
      if (burst.held) out.push(burst.held);
      this.bursts.delete(key);
    } else if (this.bursts.size >= this.maxBursts) out.push(...this.drain());
    this.bursts.set(key, { minute });
    out.push(single(interaction));
    return out;
  }

  /** The summaries of bursts whose minute has ended by `now`; those bursts are forgotten. */
  due(now: Date): InteractionRecord[] {
    const current = Math.floor(now.getTime() / MINUTE_MS);
    const out: InteractionRecord[] = [];
    for (const [key, burst] of this.bursts) {
      if (burst.minute >= current) continue;
      if (burst.held) out.push(burst.held);
      this.bursts.delete(key);
    }
    return out;
  }

  /** Every summary still held (on stop, or at the limit). */
  drain(): InteractionRecord[] {
    const out = [...this.bursts.values()].flatMap((burst) => (burst.held ? [burst.held] : []));
    this.bursts.clear();
    return out;
  }

  get size(): number {
    return this.bursts.size;
  }
}

function burstKey({ route, status, sourceIp, principal }: Interaction): string {
  return JSON.stringify([route, status, sourceIp, principal?.user ?? null]);
}

/** A summary keeps the first held request's id, the longest duration, and the span of times. */
function merge(held: InteractionRecord, next: Interaction): InteractionRecord {
  return {
    ...held,
    count: held.count + 1,
    durationMs: Math.max(held.durationMs, next.durationMs),
    firstAt: new Date(Math.min(next.at.getTime(), held.firstAt.getTime())),
    lastAt: new Date(Math.max(next.at.getTime(), held.lastAt.getTime())),
  };
}
