const UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 hours ago", from an ISO instant. */
export function relativeTime(iso, now = Date.now()) {
  const delta = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  }
  return iso;
}

/** "2026-05-09 14:00:00 UTC". */
export const absoluteTime = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

export const entityKey = (ref) => `${ref.type}:${ref.id}`;

/** Creates an element; children are nodes or text (text is never parsed as HTML). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.flat().filter((child) => child !== undefined && child !== null));
  return node;
}
