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

async function loadPage() {
  const { entity: _ignored, ...filters } = state.filters;
  const query = { ...(state.entity ? filters : state.filters), order: state.order, limit: PAGE_SIZE };
  const cursor = state.cursors[state.page];
  if (cursor) query.cursor = cursor;
  const path = state.entity
    ? `/entities/${encodeURIComponent(state.entity.type)}/${encodeURIComponent(state.entity.id)}/events`
    : '/events';
  const page = await getJson(`${path}?${queryString(query)}`);
  renderRows($('rows'), page.events, { onEntity: showHistory, onEvent: openEvent });
  state.cursors[state.page + 1] = page.next ?? undefined;
  $('prev-page').disabled = state.page === 0;
  $('first-page').disabled = state.page === 0;
  $('next-page').disabled = !page.next;
  $('page-info').textContent =
    `Page ${state.page + 1} · ${page.events.length} events · window ${page.window.since} – ${page.window.until}`;
}

async function loadChart() {
  const filters = currentFilters();
  let stats;
  try {
    stats = await getJson(`/stats?${queryString({ ...filters, interval: 'hour' })}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.parameter === 'interval')) throw error;
    stats = await getJson(`/stats?${queryString({ ...filters, interval: 'day' })}`);
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
  $('scope-text').textContent = `History of ${entityKey(ref)}, including events that list it as related.`;
  $('scope').hidden = false;
  $('events-title').textContent = `Events of ${entityKey(ref)}`;
  refresh();
}

function clearHistory() {
  state.entity = undefined;
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
