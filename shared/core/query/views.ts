import type { Principal } from '../access/principal.ts';
import type { SavedView, SavedViewStore } from '../ports/query.ts';
import { resolveFilter, savedViewInputSchema } from './params.ts';
import type { Outcome } from './read.ts';

export type SaveOutcome = Outcome<SavedView> | { ok: false; conflict: true; message: string };

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
  const check = resolveFilter(filters, new Date());
  if (!check.ok) return { ok: false, parameter: `filters.${check.parameter}`, message: check.message };
  const saved = await views.create(principal.user, name, filters);
  if (!saved) return { ok: false, conflict: true, message: `you already have a view named "${name}"; delete it first` };
  return { ok: true, value: saved };
}

export const listViews = (views: SavedViewStore, principal: Principal) => views.list(principal.user);

export const deleteView = (views: SavedViewStore, principal: Principal, name: string) =>
  views.remove(principal.user, name);
