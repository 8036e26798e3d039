import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from '../../shared/core/query/csv.ts';
import { exportFileName } from '../../shared/core/query/export-format.ts';

describe('csvCell', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3', "'-2+3"],
    ['@cmd', "'@cmd"],
    ['\tTAB', "'\tTAB"],
    ['\r=1', `"'\r=1"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
  ])('defuses formula %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['', ''],
    ['a=b', 'a=b'],
  ])('quotes %j as RFC 4180 says', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('ends records with CRLF', () => {
    expect(csvRow(['a', '=b', 'c,d'])).toBe(`a,'=b,"c,d"\r\n`);
  });
});

describe('exportFileName', () => {
  it('names the filters and the window in safe characters', () => {
    const window = { since: new Date('2026-05-01T00:00:00Z'), until: new Date('2026-05-08T12:30:00Z') };
    expect(exportFileName({ entity: 'robot:r-17', minSeverity: 'ERROR' }, window, 'csv')).toBe(
      'audit-robot_r-17-ERROR-20260501T0000Z-20260508T1230Z.csv',
    );
    expect(exportFileName({ q: '"; rm -rf / ../x' }, window, 'json')).toMatch(/^audit-_rm_-rf_\.\._x-[\dTZ-]+\.json$/);
  });
});
