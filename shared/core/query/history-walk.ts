import { archiveScan } from '../archive/archive-scan.ts';
import { archivedRowToEvent } from '../archive/archived-event.ts';
import type { StoredEvent } from '../domain/event.ts';
import { formatMonth, type Month, monthBounds, monthOverlaps } from '../domain/month.ts';
import type { ArchiveJobs } from '../ports/archive-jobs.ts';
import type { QueryStore } from '../ports/query.ts';
import type { EventQueryFilter, SortOrder } from './filter.ts';
import type { Position, WalkState } from './page-cursor.ts';

/** Where a row was read from. (Not `source`: an event's `source` is who sent it.) */
export type StoredIn = 'postgres' | 'archive';
export type WalkedEvent = StoredEvent & { storedIn: StoredIn };

export interface WalkDeps {
  store: QueryStore;
  /** The archive's jobs (Athena, or DuckDB locally); absent: archived months are pointed at, not read. */
  archiveJobs?: ArchiveJobs;
}

/** What a page says about the archive: which archived months the window reaches, and how to read them. */
export interface ArchivePointer {
  /** Archived months (YYYY-MM) inside the window. */
  months: string[];
  /** available: a job can be started (`start`); running: the job is not done, ask again; failed: it ended so. */
  state: 'available' | 'running' | 'failed' | 'unavailable';
  reason?: string;
  job?: string;
  /** The walk state a POST starts the archive job from (newest-first walks only). */
  start?: WalkState;
}

export interface WalkPage {
  events: WalkedEvent[];
  /** The state the next page continues from; undefined: nothing more (besides `archive.start`, when given). */
  next?: WalkState;
  archive?: ArchivePointer;
}

/** The most rows Athena returns per GetQueryResults call. */
const MAX_ARCHIVE_READ = 1000;

/**
 * One page of a walk through a filter's events, newest first by (occurred_at, id), from PostgreSQL into the archive.
 *
 * The boundary is a month: `hotFrom`, the end of the newest month the archive holds (or is being given), fixed on the
 * first page and carried in the cursor. At and after it only PostgreSQL holds rows: they are read by keyset. Below it,
 * rows are the archive job's merged with PostgreSQL's (late events for an archived month land in a new partition; a
 * month being archived is in both until it is dropped): one event in both is served once, from PostgreSQL, and a page
 * boundary never repeats a row, since every read below skips what sorts at or above the last row served.
 * Oldest-first walks read PostgreSQL's window only and point at the archived months.
 */
export async function walkPage(
  deps: WalkDeps,
  filter: EventQueryFilter,
  order: SortOrder,
  state: WalkState | undefined,
  limit: number,
): Promise<WalkPage> {
  if (state?.phase === 'archive') return archivePage(deps, filter, state, limit);
  // Read once on a first page (for the boundary, and the pointer below); later pages carry the boundary.
  const archived = state ? undefined : await deps.store.archivedMonths();
  const hotFrom = state ? state.hotFrom : hotBoundary(archived ?? [], filter);
  const hot = hotFrom && order === 'desc' ? { ...filter, since: later(filter.since, new Date(hotFrom)) } : filter;
  const after = state?.after;
  const page =
    hot.since < hot.until
      ? await deps.store.page(hot, { order, limit, ...(after && { after }) })
      : { events: [], hasMore: false };
  const events = page.events.map((event) => ({ ...event, storedIn: 'postgres' as const }));
  const last = positionOf(events.at(-1)) ?? after;
  if (page.hasMore)
    return { events, next: { phase: 'postgres', ...(last && { after: last }), ...(hotFrom && { hotFrom }) } };
  if (!hotFrom) return { events };
  const months = monthsIn(archived ?? (await deps.store.archivedMonths()), filter);
  if (months.length === 0) return { events };
  const start: WalkState | undefined = order === 'desc' ? { phase: 'archive', ...(last && { from: last }) } : undefined;
  return {
    events,
    archive: {
      months,
      state: deps.archiveJobs ? 'available' : 'unavailable',
      ...(start && deps.archiveJobs && { start }),
    },
  };
}

/** Starts the archive job of an `archive` state that has none (a page's `archive.start`): the state with its job. */
export async function startArchiveJob(
  jobs: ArchiveJobs,
  filter: EventQueryFilter,
  state: Extract<WalkState, { phase: 'archive' }>,
): Promise<WalkState> {
  const job = await jobs.start(archiveScan(filter, state.from));
  return { phase: 'archive', ...(state.from && { from: state.from }), job };
}

async function archivePage(
  deps: WalkDeps,
  filter: EventQueryFilter,
  state: Extract<WalkState, { phase: 'archive' }>,
  limit: number,
): Promise<WalkPage> {
  const { archiveJobs: jobs } = deps;
  const months = () => deps.store.archivedMonths().then((all) => monthsIn(all, filter));
  if (!jobs) return { events: [], archive: { months: await months(), state: 'unavailable' } };
  if (!state.job) return { events: [], archive: { months: await months(), state: 'available', start: state } };
  const { job } = state;
  const status = await jobs.status(job);
  if (status.state === 'running')
    return { events: [], next: state, archive: { months: await months(), state: 'running', job } };
  if (status.state === 'failed')
    return { events: [], archive: { months: await months(), state: 'failed', reason: status.reason, job } };

  // The job's rows not served yet, each with the token of the result page it came in (where the next page reads on).
  const scan = archiveScan(filter, state.from);
  const fromArchive: { event: StoredEvent; token: string | undefined }[] = [];
  let token = state.token;
  let end = state.exhausted === true;
  while (!end && fromArchive.length <= limit) {
    const read = await jobs.read(job, scan, token, Math.min(limit + 1, MAX_ARCHIVE_READ));
    for (const row of read.rows) {
      const event = archivedRowToEvent(row);
      if (state.before && !below(event, state.before)) continue;
      if (!concernsEntity(event, filter)) continue;
      // One event archived in two generations (a resend stored again before event_ids knew its id) is served once.
      const previous = fromArchive.at(-1)?.event;
      if (previous && compareKeys(previous, event) === 0) continue;
      fromArchive.push({ event, token });
    }
    if (read.next === undefined) end = true;
    else token = read.next;
  }
  const below_ = state.before ?? state.from;
  const pg = await deps.store.page(filter, { order: 'desc', limit, ...(below_ && { after: below_ }) });

  const events: WalkedEvent[] = [];
  let i = 0;
  let j = 0;
  while (events.length < limit) {
    const a = pg.events[i];
    const b = fromArchive[j]?.event;
    if (!a && !b) break;
    const order = a && b ? compareKeys(a, b) : a ? 1 : -1;
    if (order >= 0) {
      events.push({ ...a!, storedIn: 'postgres' });
      i++;
      if (order === 0) j++; // the same event in both: served once, from PostgreSQL
    } else {
      events.push({ ...b!, storedIn: 'archive' });
      j++;
    }
  }
  const unserved = fromArchive[j];
  const moreArchive = unserved !== undefined || !end;
  const morePg = i < pg.events.length || pg.hasMore;
  if (!moreArchive && !morePg) return { events };
  const before = positionOf(events.at(-1)) ?? state.before;
  const nextToken = unserved ? unserved.token : end ? undefined : token;
  return {
    events,
    next: {
      phase: 'archive',
      ...(state.from && { from: state.from }),
      ...(before && { before }),
      job,
      ...(nextToken !== undefined && { token: nextToken }),
      ...(!moreArchive && { exhausted: true as const }),
    },
  };
}

/**
 * The end of the newest archived month that begins before the window ends, when the window reaches below it;
 * undefined when no archived month overlaps the window.
 */
export function hotBoundary(archived: readonly Month[], filter: EventQueryFilter): string | undefined {
  const ends = archived.filter((m) => monthOverlaps(m, filter)).map((m) => monthBounds(m).end);
  const newest = ends.reduce<Date | undefined>((max, end) => (max && max > end ? max : end), undefined);
  return newest?.toISOString();
}

function monthsIn(archived: readonly Month[], filter: EventQueryFilter): string[] {
  return archived.filter((m) => monthOverlaps(m, filter)).map(formatMonth);
}

const later = (a: Date, b: Date) => (a > b ? a : b);

const positionOf = (event: StoredEvent | undefined): Position | undefined =>
  event && { occurredAt: event.occurredAt, id: event.id };

/** > 0: a sorts after b in the (occurred_at, id) order, i.e. comes first newest-first. */
function compareKeys(a: Position, b: Position): number {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt > b.occurredAt ? 1 : -1;
  return a.id === b.id ? 0 : a.id > b.id ? 1 : -1;
}

const below = (event: Position, position: Position) => compareKeys(event, position) < 0;

/** The archive finds related entities by text; this checks the parsed row, so a look-alike string never passes. */
function concernsEntity(event: StoredEvent, filter: EventQueryFilter): boolean {
  const entity = filter.entity;
  if (!entity) return true;
  if (event.entity.type === entity.type && event.entity.id === entity.id) return true;
  return event.related.some((r) => r.type === entity.type && r.id === entity.id);
}

/**
 * Every event of a walk, newest first, page after page: into the archive too, its job started and awaited (the CLI's
 * `trail history`, which has no request to hand back). A failed archive job is an error, not a shorter history.
 */
export async function* walkAll(
  deps: WalkDeps & { sleep?: (ms: number) => Promise<void>; pollMs?: number },
  filter: EventQueryFilter,
  pageSize = 1000,
): AsyncGenerator<WalkedEvent> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let state: WalkState | undefined;
  for (;;) {
    const page = await walkPage(deps, filter, 'desc', state, pageSize);
    yield* page.events;
    if (page.archive?.state === 'failed') throw new Error(page.archive.reason ?? 'the archive query failed');
    if (page.archive?.state === 'unavailable')
      throw new Error(`the archive holds ${page.archive.months.join(', ')}, and it cannot be read from here`);
    if (page.archive?.state === 'running') await sleep(deps.pollMs ?? 1000);
    if (page.next) state = page.next;
    else if (page.archive?.start?.phase === 'archive' && deps.archiveJobs)
      state = await startArchiveJob(deps.archiveJobs, filter, page.archive.start);
    else return;
  }
}
