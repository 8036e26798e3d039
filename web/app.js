import { ApiError, download, getJson, openHtml, postJson, queryString, remove, token } from './api.js';
import { renderChart } from './chart.js';
import { showEvent } from './detail.js';
import { entityKey } from './format.js';
import { renderOperations } from './operations.js';
import { renderRows } from './table.js';

const $ = (id) => document.getElementById(id);
const FILTERS = ['entity', 'type', 'severity', 'minSeverity', 'actor', 'source', 'q', 'since', 'until', 'hideOwnAudit'];
/** What a signed-in user sees first: the last day, without the records their own reads leave (audit.accessed). */
const DEFAULT_FILTERS = { since: '24h', hideOwnAudit: 'true' };
const BUILT_IN_VIEWS = [
  { name: 'Last 24 h CRITICAL', filters: { minSeverity: 'CRITICAL', since: '24h', hideOwnAudit: 'true' } },
];
const PAGE_SIZE = 100;

const state = {
  filters: { ...DEFAULT_FILTERS },
  order: 'desc',
  entity: undefined,
  cursors: [undefined],
  page: 0,
  views: [],
};

function status(message, isError = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', isError);
}

function readForm() {
  const data = new FormData($('filters'));
  state.filters = {};
  for (const name of FILTERS) {
    const value = String(data.get(name) ?? '').trim();
    if (value) state.filters[name] = value;
  }
  state.order = String(data.get('order') ?? 'desc');
}

function writeForm(filters) {
  for (const name of FILTERS) {
    const input = $(`f-${name}`);
    if (input.type === 'checkbox') input.checked = filters[name] === 'true';
    else input.value = filters[name] ?? '';
  }
}

/** The filters as the API takes them: an entity history adds its entity. */
function currentFilters() {
  return state.entity ? { ...state.filters, entity: entityKey(state.entity) } : { ...state.filters };
}

/** An entity's history is the whole past: the window filters of the list do not narrow it. */
function historyQuery() {
  const { entity: _entity, since: _since, until: _until, ...filters } = state.filters;
  return { ...filters, order: 'desc', limit: PAGE_SIZE };
}

async function loadPage() {
  if (state.entity) return loadHistory(false);
  const query = { ...state.filters, order: state.order, limit: PAGE_SIZE };
  const cursor = state.cursors[state.page];
  if (cursor) query.cursor = cursor;
  const page = await getJson(`/events?${queryString(query)}`);
  renderRows($('rows'), page.events, { onEntity: showHistory, onEvent: openEvent });
  state.cursors[state.page + 1] = page.next ?? undefined;
  $('prev-page').disabled = state.page === 0;
  $('first-page').disabled = state.page === 0;
  $('next-page').disabled = !page.next;
  const archived = page.archived?.length ? ` · older months in the archive: ${page.archived.join(', ')}` : '';
  $('page-info').textContent =
    `Page ${state.page + 1} · ${page.events.length} events · window ${page.window.since} – ${page.window.until}${archived}`;
}

const historyPath = (ref) => `/entities/${encodeURIComponent(ref.type)}/${encodeURIComponent(ref.id)}/events`;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An entity's history as one list, newest first: each "Older events" appends the next page, from PostgreSQL and then
 * from the archive, whose job is started here and polled while it runs ("loading older events from the archive").
 */
async function loadHistory(more) {
  const ref = state.entity;
  let path = `${historyPath(ref)}?${queryString({ ...historyQuery(), ...(more && state.history.next && { cursor: state.history.next }) })}`;
  if (more && !state.history.next && state.history.archiveStart) {
    archiveLoading(true);
    let page;
    try {
      const started = await postJson(state.history.archiveStart, {});
      path = started.poll.href;
      page = await getJson(path);
      while (page.archive?.state === 'running') {
        if (state.entity !== ref) return;
        await pause(1000);
        page = await getJson(path);
      }
    } finally {
      archiveLoading(false);
    }
    return showHistoryPage(page, true);
  }
  return showHistoryPage(await getJson(path), more);
}

function showHistoryPage(page, append) {
  if (!append) state.history = { rows: [] };
  state.history.rows.push(...page.events);
  state.history.next = page.next ?? undefined;
  state.history.archiveStart = page.archive?.start?.href;
  if (page.archive?.state === 'failed') status(`The archive could not be read: ${page.archive.reason}`, true);
  renderRows($('rows'), state.history.rows, { onEntity: showHistory, onEvent: openEvent });
  $('prev-page').disabled = true;
  $('first-page').disabled = true;
  $('next-page').disabled = !state.history.next && !state.history.archiveStart;
  $('next-page').textContent =
    state.history.next || !state.history.archiveStart ? 'Older events' : 'Older events (archive)';
  const archived = state.history.rows.filter((event) => event.storedIn === 'archive').length;
  $('page-info').textContent =
    `${state.history.rows.length} events, newest first` + (archived ? ` · ${archived} from the archive` : '');
}

function archiveLoading(on) {
  $('archive-loading').hidden = !on;
  if (on) $('next-page').disabled = true;
  if (on) status('Loading older events from the archive…');
  else if ($('status').textContent === 'Loading older events from the archive…') status('');
}

async function loadChart() {
  const filters = currentFilters();
  // The finest interval the window allows (at most 2,000 buckets): hours, else days, else months (windows of years).
  let stats;
  for (const interval of ['hour', 'day', 'month']) {
    try {
      stats = await getJson(`/stats?${queryString({ ...filters, interval })}`);
      break;
    } catch (error) {
      if (!(error instanceof ApiError && error.parameter === 'interval') || interval === 'month') throw error;
    }
  }
  renderChart($('chart'), stats);
}

/** Runs an action, showing failures (with the offending parameter) in the status line. */
async function guarded(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      status('Sign in with a valid token.', true);
      $('token').focus();
    } else status(error instanceof ApiError ? `Error: ${error.message}` : String(error), true);
  }
}

async function refresh() {
  state.cursors = [undefined];
  state.page = 0;
  status('Loading…');
  await guarded(async () => {
    await Promise.all([loadPage(), loadChart()]);
    status('');
  });
}

function showHistory(ref) {
  state.entity = ref;
  state.history = { rows: [] };
  $('scope-text').textContent = `History of ${entityKey(ref)}, including events that list it as related.`;
  $('scope').hidden = false;
  $('events-title').textContent = `Events of ${entityKey(ref)}`;
  refresh();
}

function clearHistory() {
  state.entity = undefined;
  $('next-page').textContent = 'Next page';
  $('scope').hidden = true;
  $('events-title').textContent = 'Events';
  refresh();
}

const openEvent = (event) => guarded(() => showEvent($('detail'), event, { onEntity: showHistory }));

async function loadViews(selected) {
  state.views = (await getJson('/views')).views;
  const options = [new Option('— choose a view —', '')];
  for (const [i, view] of BUILT_IN_VIEWS.entries()) options.push(new Option(`${view.name} (built in)`, `b:${i}`));
  for (const view of state.views) options.push(new Option(view.name, `u:${view.name}`));
  $('views').replaceChildren(...options);
  $('views').value = selected ?? '';
}

function chosenView() {
  const value = $('views').value;
  if (value.startsWith('b:')) return BUILT_IN_VIEWS[Number(value.slice(2))];
  return state.views.find((view) => `u:${view.name}` === value);
}

function applyView() {
  const view = chosenView();
  if (!view) return;
  writeForm(view.filters);
  state.filters = { ...view.filters };
  state.entity = undefined;
  $('scope').hidden = true;
  $('next-page').textContent = 'Next page';
  refresh();
}

async function saveView(event) {
  event.preventDefault();
  const name = $('view-name').value.trim();
  await guarded(async () => {
    await postJson('/views', { name, filters: currentFilters() });
    await loadViews(`u:${name}`);
    status(`Saved view "${name}".`);
  });
}

async function deleteView() {
  const value = $('views').value;
  if (!value.startsWith('u:')) return status('Choose one of your saved views to delete.', true);
  await guarded(async () => {
    await remove(`/views/${encodeURIComponent(value.slice(2))}`);
    await loadViews();
    status('View deleted.');
  });
}

const exportAs = (format) =>
  guarded(async () => {
    status(`Exporting ${format.toUpperCase()}…`);
    const name = await download(`/events/export?${queryString({ ...currentFilters(), order: state.order, format })}`);
    status(`Downloaded ${name}.`);
  });

/** Signed in, the header offers the pages and Sign out; signed out, the token field and Sign in. */
function showSignedIn(signedIn) {
  $('logout').hidden = !signedIn;
  $('pages').hidden = !signedIn;
  $('signed-in').hidden = !signedIn;
  $('signed-in').textContent = signedIn ? 'Signed in' : '';
  for (const id of ['token', 'sign-in']) $(id).hidden = signedIn;
  document.querySelector('label[for="token"]').hidden = signedIn;
}

function showPage(page) {
  const operations = page === 'operations';
  $('operations').hidden = !operations;
  $('events-page').hidden = operations;
  $('show-operations').setAttribute('aria-pressed', String(operations));
  $('show-events').setAttribute('aria-pressed', String(!operations));
  status('');
  if (operations) loadOperations();
}

const loadOperations = () => guarded(() => renderOperations($('operations-body'), $('operations-at')));

async function start() {
  const signedIn = Boolean(token.get());
  showSignedIn(signedIn);
  if (!signedIn) {
    showPage('events');
    return status('Sign in with your bearer token to read the audit trail.');
  }
  writeForm(state.filters);
  await guarded(() => loadViews());
  await refresh();
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  token.set($('token').value.trim());
  $('token').value = '';
  start();
});
$('logout').addEventListener('click', () => {
  token.clear();
  // The next user starts afresh: no filters, views or rows of the previous one.
  Object.assign(state, { filters: { ...DEFAULT_FILTERS }, order: 'desc', entity: undefined, views: [] });
  $('scope').hidden = true;
  $('views').replaceChildren();
  $('view-name').value = '';
  $('rows').replaceChildren();
  $('chart').replaceChildren();
  start();
});
$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  readForm();
  refresh();
});
$('filters').addEventListener('reset', () => setTimeout(() => writeForm(DEFAULT_FILTERS)));
$('show-events').addEventListener('click', () => showPage('events'));
$('show-operations').addEventListener('click', () => showPage('operations'));
$('refresh-operations').addEventListener('click', loadOperations);
$('clear-entity').addEventListener('click', clearHistory);
$('views').addEventListener('change', applyView);
$('save-view').addEventListener('submit', saveView);
$('delete-view').addEventListener('click', deleteView);
$('export-csv').addEventListener('click', () => exportAs('csv'));
$('export-json').addEventListener('click', () => exportAs('json'));
$('open-report').addEventListener('click', () => guarded(() => openHtml(`/reports?${queryString(currentFilters())}`)));
$('next-page').addEventListener('click', () => {
  if (state.entity) return guarded(() => loadHistory(true));
  state.page++;
  guarded(loadPage);
});
$('prev-page').addEventListener('click', () => {
  state.page--;
  guarded(loadPage);
});
$('first-page').addEventListener('click', () => {
  state.page = 0;
  guarded(loadPage);
});

start();
