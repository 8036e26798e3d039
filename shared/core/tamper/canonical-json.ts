/**
 * RFC 8785, the JSON Canonicalization Scheme (JCS): one text for one JSON value, whatever key order or number
 * spelling it came with, so that a hash or a signature over it can be recomputed by anyone, in any language.
 *
 * - Objects: members sorted by their keys as arrays of UTF-16 code units (what JavaScript's default sort compares),
 *   members whose value is `undefined` left out (as JSON.stringify does).
 * - Strings: as JSON.stringify writes them (RFC 8785 §3.2.2.2 is exactly ECMAScript's escaping).
 * - Numbers: ECMAScript's Number-to-string, which JSON.stringify uses (§3.2.2.3): `1e+21`, `1e-7`, `0` for -0.
 * - No whitespace anywhere.
 *
 * What is not I-JSON (RFC 7493) throws instead of being written some way: NaN and ±Infinity, lone surrogates,
 * bigint, functions, symbols, and `undefined` outside an object member. A value with a `toJSON` method (a Date) is
 * replaced by what it returns, as JSON.stringify does.
 */
export function canonicalize(value: unknown): string {
  return write(value, []);
}

// A quick test for any surrogate; only a string that has one pays for the exact test of a lone one.
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /\p{Cs}/u;
/** What JSON.stringify escapes (quote, backslash, controls) or a surrogate, which must be checked. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these controls are what JSON.stringify escapes
const NEEDS_CARE = /[\u0000-\u001f"\\\uD800-\uDFFF]/;

/**
 * `path` holds the keys and indexes down to `raw`, spelled out only in an error: the sealer and the verifier
 * canonicalize every event, and building a path string per member cost them about 40 % of the time.
 */
function write(raw: unknown, path: (string | number)[]): string {
  const value = hasToJson(raw) ? raw.toJSON() : raw;
  switch (typeof value) {
    case 'string':
      return writeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${where(path)} is ${value}: JSON numbers are finite`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return writeArray(value, path);
      return writeObject(value as Record<string, unknown>, path);
    default:
      throw new TypeError(`${where(path)} is ${typeof value}, which JSON cannot hold`);
  }
}

/** The canonical JSON of a string (RFC 8785 §3.2.2.2); `path` names it in the error for a lone surrogate. */
export function writeString(value: string, path: readonly (string | number)[] = []): string {
  // Most strings need no escape: quoting them is all JSON.stringify would do.
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  if (ANY_SURROGATE.test(value) && LONE_SURROGATE.test(value))
    throw new TypeError(`${where(path)} holds a lone surrogate: not Unicode text, so not canonical JSON`);
  return JSON.stringify(value);
}

function writeArray(array: readonly unknown[], path: (string | number)[]): string {
  let text = '[';
  for (let i = 0; i < array.length; i++) {
    path.push(i);
    text += (i === 0 ? '' : ',') + write(array[i], path);
    path.pop();
  }
  return `${text}]`;
}

function writeObject(object: Record<string, unknown>, path: (string | number)[]): string {
  let text = '{';
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (member === undefined) continue;
    const name = writeString(key, path);
    path.push(key);
    text += (text.length === 1 ? '' : ',') + name + ':' + write(member, path);
    path.pop();
  }
  return `${text}}`;
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function where(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the value';
  return `the value at ${path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('')}`;
}
