/**
 * What the store can hold, checked before an event is accepted: an event answered 202 must reach PostgreSQL unchanged,
 * so anything the queue or the database would refuse or alter is refused at ingest with a reason instead.
 *
 * - U+0000 (NUL): PostgreSQL `text` and `jsonb` cannot hold it, in a value or in an object key.
 * - Lone surrogates (U+D800–U+DFFF not in a pair): not Unicode characters; PostgreSQL's JSON refuses their `\uD800`
 *   escapes, in `jsonb` and in the writer's batch (one JSON parameter, so in a `text` column too).
 * - Non-characters (U+FDD0–U+FDEF and U+xFFFE/U+xFFFF in every plane): reserved by Unicode for internal use; SQS
 *   refuses U+FFFE and U+FFFF in a message body.
 * - Numbers JSON reads as infinite (e.g. `1e400`): a double cannot hold them, and they would be stored as `null`.
 * - The key `__proto__`: a JavaScript object cannot keep it as a field, so it would be dropped.
 * - Nesting deeper than {@link MAX_NESTING_DEPTH}, strings longer than {@link MAX_STRING_CHARACTERS}, object keys
 *   longer than {@link MAX_KEY_CHARACTERS}.
 *
 * Other control characters (U+0001–U+001F) are storable: JSON escapes them (`\u0001`), so SQS never sees them raw,
 * and PostgreSQL holds them. Characters above U+FFFF (emoji) are storable: the queue message escapes them (see
 * `escapeForQueue` in core/ingest/packing.ts).
 */

/**
 * How deep objects and arrays may nest, counted from the event: the payload object is level 1, so
 * `{"payload": {"a": [1]}}` nests 2 levels. 32 is deep enough for any real device structure (OPC UA or PLC records
 * nest a handful of levels) and far below where the tools that read events give up: PostgreSQL's `jsonb` fails with
 * a stack-depth error around 6,000 levels, V8's `JSON.stringify` around 10,000, and exports, DuckDB and Athena JSON
 * functions walk payloads recursively too.
 */
export const MAX_NESTING_DEPTH = 32;
/**
 * The longest string value, in characters (code points): a quarter of an event (MAX_EVENT_BYTES, 64 KiB). Free text,
 * error messages, stack traces and small encoded records fit; anything larger is a file, which belongs in object
 * storage with its reference in the event.
 */
export const MAX_STRING_CHARACTERS = 16_384;
/** The longest object key, in characters (code points): keys are field names, not data. */
export const MAX_KEY_CHARACTERS = 256;
/** An event with more problems than this reports the first ones only, so a refusal stays small. */
export const MAX_STORABLE_ISSUES = 10;

/** One thing the store cannot hold: where (`payload.a[3].b`, `payload["x\u0000"]`) and why. */
export interface StorableIssue {
  path: string;
  message: string;
}

// NUL, surrogates (in a `u` regex only lone ones match: a pair is one code point) and non-characters.
const UNSTORABLE_CHARACTER = /[\0\p{Cs}\p{Noncharacter_Code_Point}]/u;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Keys longer than this are shortened in paths, so a refusal does not repeat a huge key. */
const PATH_KEY_CHARACTERS = 64;

const hex = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableCharacter(text: string): string | undefined {
  const found = UNSTORABLE_CHARACTER.exec(text);
  if (!found) return undefined;
  const codePoint = found[0].codePointAt(0)!;
  const at = `at character ${[...text.slice(0, found.index)].length}`;
  if (codePoint === 0) return `contains U+0000 (NUL) ${at}, which PostgreSQL cannot store`;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff)
    return `contains a lone surrogate ${hex(codePoint)} ${at}: not a Unicode character (is the text UTF-16 cut in half?)`;
  return `contains the Unicode non-character ${hex(codePoint)} ${at}, which SQS and PostgreSQL exchanges refuse`;
}

function codePointLength(text: string, atLeast: number): number {
  // A string of n UTF-16 units has at most n code points: count only when it could be over.
  return text.length <= atLeast ? text.length : [...text].length;
}

function keySegment(key: string): string {
  if (IDENTIFIER.test(key)) return `.${key}`;
  const shown =
    codePointLength(key, PATH_KEY_CHARACTERS) > PATH_KEY_CHARACTERS
      ? `${[...key].slice(0, PATH_KEY_CHARACTERS).join('')}…`
      : key;
  return `[${JSON.stringify(shown)}]`;
}

const join = (path: string, segment: string) => (path === '' ? segment.replace(/^\./, '') : `${path}${segment}`);
/** The event itself is `(event)`, and `(event)[0]` when it is an array, `(event)["x\u0000"]` for an odd key. */
const where = (path: string) => (path === '' || path.startsWith('[') ? `(event)${path}` : path);

/**
 * Every reason the value (an event as parsed from JSON, or any part of one) cannot be stored, up to
 * {@link MAX_STORABLE_ISSUES}, with the path of each from `path`. `depth` is the nesting level of `value` itself (0 for
 * the event). Pure and bounded: it never descends more than MAX_NESTING_DEPTH levels, whatever the input.
 */
export function storableIssues(value: unknown, path = '', depth = 0): StorableIssue[] {
  const walk: Walk = { issues: [], segments: [], path };
  visit(walk, value, depth);
  return walk.issues;
}

/**
 * A walk of storableIssues. Its functions are module-level, not closures made per call: ingest checks every event,
 * and the local runtime (tsx, keepNames) pays a defineProperty for each closure created.
 */
interface Walk {
  issues: StorableIssue[];
  /** The keys and indexes down to the node visited: a path is spelled out only for an issue, as nearly no value has one. */
  segments: (string | number)[];
  path: string;
}

function add(walk: Walk, message: string): void {
  if (walk.issues.length >= MAX_STORABLE_ISSUES) return;
  let at = walk.path;
  for (const segment of walk.segments)
    at = typeof segment === 'number' ? `${at}[${segment}]` : join(at, keySegment(segment));
  walk.issues.push({ path: where(at), message });
}

function visit(walk: Walk, node: unknown, level: number): void {
  if (walk.issues.length >= MAX_STORABLE_ISSUES) return;
  if (typeof node === 'string') {
    const bad = unstorableCharacter(node);
    if (bad) add(walk, bad);
    else if (codePointLength(node, MAX_STRING_CHARACTERS) > MAX_STRING_CHARACTERS)
      add(walk, `is a string of ${[...node].length} characters; the limit is ${MAX_STRING_CHARACTERS}`);
    return;
  }
  if (typeof node === 'number') {
    if (!Number.isFinite(node)) add(walk, 'is a number too large for a double (it would be stored as null)');
    return;
  }
  if (node === null || typeof node !== 'object') return;
  if (level > MAX_NESTING_DEPTH) {
    add(walk, `nests deeper than ${MAX_NESTING_DEPTH} levels (counted from the event; the payload is level 1)`);
    return;
  }
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length && walk.issues.length < MAX_STORABLE_ISSUES; i++) {
      walk.segments.push(i);
      visit(walk, node[i], level + 1);
      walk.segments.pop();
    }
    return;
  }
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    walk.segments.push(key);
    const bad = unstorableCharacter(key);
    if (bad) add(walk, `the key ${bad}`);
    else if (key === '__proto__') add(walk, 'the key "__proto__" cannot be kept: JavaScript objects drop it');
    else if (codePointLength(key, MAX_KEY_CHARACTERS) > MAX_KEY_CHARACTERS)
      add(walk, `the key is ${[...key].length} characters long; the limit is ${MAX_KEY_CHARACTERS}`);
    else visit(walk, (node as Record<string, unknown>)[key], level + 1);
    walk.segments.pop();
  }
}
