// Calls the query API with the bearer token kept in sessionStorage (gone when the tab closes).
const TOKEN_KEY = 'trail.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.parameter = body?.parameter;
  }
}

/** Query string of the non-empty values. */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, value);
  return search.toString();
}

/**
 * Where the API is: on AWS the UI and the API have different origins and the deployment writes `config.json` beside
 * these files; the local stack serves both from one origin and has none.
 */
const apiBase = await fetch('/web/config.json')
  .then((response) => (response.ok ? response.json() : {}))
  .then((config) => config.apiUrl ?? '')
  .catch(() => '');

async function request(path, options = {}) {
  const response = await fetch(`${apiBase}${path}`, {
    ...options,
    headers: { authorization: `Bearer ${token.get()}`, ...options.headers },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => undefined);
    throw new ApiError(response.status, body);
  }
  return response;
}

export const getJson = async (path) => (await request(path)).json();

export const postJson = async (path, body) =>
  (
    await request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  ).json();

export const remove = (path) => request(path, { method: 'DELETE' });

/** A file the API sends as an attachment: fetched with the token, then handed to the browser as a download. */
export async function download(path) {
  const response = await request(path);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'export';
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** The HTML report in a new tab (from a blob: the report itself never sees the token). */
export async function openHtml(path) {
  const response = await request(path);
  const url = URL.createObjectURL(await response.blob());
  window.open(url, '_blank', 'noopener');
}
