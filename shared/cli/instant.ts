/** An ISO-8601 date or instant from the command line. */
export function parseInstant(value: string, flag: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${flag} must be an ISO-8601 date or instant, got "${value}"`);
  return date;
}
