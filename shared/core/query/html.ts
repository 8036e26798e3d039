const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** A tagged template whose interpolations are escaped, except nested `html` results (trusted markup). */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Interpolation = SafeHtml | string | number | readonly SafeHtml[];

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let markup = strings[0]!;
  values.forEach((value, i) => {
    const text = Array.isArray(value)
      ? value.map((part: SafeHtml) => part.markup).join('')
      : value instanceof SafeHtml
        ? value.markup
        : escapeHtml(value);
    markup += text + strings[i + 1]!;
  });
  return new SafeHtml(markup);
}
