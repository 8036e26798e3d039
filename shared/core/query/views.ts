import { hasAnyRole, type Principal } from '../access/principal.ts';
import { unstorableCharacter } from '../domain/storable.ts';
import type { SavedView, SavedViewStore, ViewActor } from '../ports/query.ts';
import { parseParams, resolveFilter, savedViewInputSchema, viewNameSchema, viewsQuerySchema } from './params.ts';
import type { Outcome } from './read.ts';

export type SaveOutcome = Outcome<SavedView> | { ok: false; conflict: true; message: string };
/** Refused because the caller may not act on another user's views (403), before the store would refuse it too. */
export type ViewsOutcome<T> = Outcome<T> | { ok: false; forbidden: true; message: string };

const actorOf = (principal: Principal): ViewActor => ({
  user: principal.user,
  admin: hasAnyRole(principal, ['admin']),
});

/** Whose views a request is about: `owner=` (admins only, for another user) or the caller's. */
function ownerOf(principal: Principal, query: Record<string, string | undefined>): ViewsOutcome<string> {
  const parsed = parseParams(viewsQuerySchema, query);
  if (!parsed.ok) return parsed;
  const owner = parsed.value.owner ?? principal.user;
  if (owner !== principal.user && !actorOf(principal).admin)
    return { ok: false, forbidden: true, message: "only an admin may read or delete another user's saved views" };
  return { ok: true, value: owner };
}

/** POST /views: `{ name, filters }`, filters checked exactly as GET /events would check them. */
export async function saveView(views: SavedViewStore, principal: Principal, body: Buffer): Promise<SaveOutcome> {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, parameter: '(body)', message: 'must be JSON: {"name": "…", "filters": {…}}' };
  }
  const parsed = savedViewInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys.join(',')] : issue.path;
    return { ok: false, parameter: path.map(String).join('.') || '(body)', message: issue.message };
  }
  const { name, filters } = parsed.data;
  // As for query parameters: PostgreSQL could not hold these (jsonb refuses U+0000), so refuse them by name.
  for (const [key, value] of Object.entries({ name, ...prefixed(filters) })) {
    const bad = typeof value === 'string' ? unstorableCharacter(value) : undefined;
    if (bad) return { ok: false, parameter: key, message: bad };
  }
  const check = resolveFilter(filters, new Date());
  if (!check.ok) return { ok: false, parameter: `filters.${check.parameter}`, message: check.message };
  const saved = await views.create(actorOf(principal), name, filters);
  if (!saved) return { ok: false, conflict: true, message: `you already have a view named "${name}"; delete it first` };
  return { ok: true, value: saved };
}

const prefixed = (filters: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(filters).map(([key, value]) => [`filters.${key}`, value]));

/** GET /views: the caller's views, or (admins) another user's. */
export async function listViews(
  views: SavedViewStore,
  principal: Principal,
  query: Record<string, string | undefined>,
): Promise<ViewsOutcome<SavedView[]>> {
  const owner = ownerOf(principal, query);
  if (!owner.ok) return owner;
  return { ok: true, value: await views.list(actorOf(principal), owner.value) };
}

/** DELETE /views/{name}: true when deleted, false when there was no such view. */
export async function deleteView(
  views: SavedViewStore,
  principal: Principal,
  name: string,
  query: Record<string, string | undefined>,
): Promise<ViewsOutcome<boolean>> {
  const owner = ownerOf(principal, query);
  if (!owner.ok) return owner;
  const bad = unstorableCharacter(name);
  if (bad) return { ok: false, parameter: 'name', message: bad };
  const valid = viewNameSchema.safeParse(name);
  if (!valid.success) return { ok: false, parameter: 'name', message: valid.error.issues[0]!.message };
  return { ok: true, value: await views.remove(actorOf(principal), owner.value, name) };
}
