import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOM, CsvSyntaxError, csvField, neutralize, parseCsv } from './csv.ts';

describe('csvField', () => {
  it('quotes what RFC 4180 needs quoted and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField('张三')).toBe('张三');
  });

  it('neutralizes text a spreadsheet would run as a formula, never our numbers', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(neutralize(s)).toBe(`'${s}`);
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-5, 'number')).toBe('-5');
    expect(neutralize('36.5')).toBe('36.5');
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and line breaks; CRLF or LF; drops the BOM and blank lines', () => {
    const text = `${BOM}a,b,c\r\n"x,1","say ""hi""","two\nlines"\n\nlast,,\n`;
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['x,1', 'say "hi"', 'two\nlines'] },
      { line: 5, cells: ['last', '', ''] },
    ]);
  });

  it('says on which line a file is broken', () => {
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\nx"y,1\n')).toThrow(/line 2: a quote inside an unquoted field/);
    try {
      parseCsv('a\nb\n"c"d\n');
    } catch (e) {
      expect((e as CsvSyntaxError).line).toBe(3);
    }
  });

  it('round-trips any table of text it writes', () => {
    const cell = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
        (rows) => {
          // A row of one empty cell is a blank line, which readers skip: give it content.
          const table = rows.map((r) => (r.length === 1 && r[0] === '' ? ['x'] : r));
          const text = BOM + table.map((r) => r.map((c) => csvField(c, 'number')).join(',')).join('\r\n');
          expect(parseCsv(text).map((r) => r.cells)).toEqual(table);
        },
      ),
    );
  });
});
