/**
 * One CSV cell, safe to open in a spreadsheet. OWASP "CSV injection": a cell starting with = + - @ tab or CR would
 * run as a formula, so it gets a leading `'`. Then RFC 4180: a cell holding a quote, comma, CR or LF is quoted, with
 * quotes doubled.
 */
export function csvCell(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvRow(values: readonly string[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
