/**
 * CSV as Excel and RFC 4180 agree on it: UTF-8 with a BOM (without it Excel reads Chinese names
 * as mojibake), CRLF line ends, a field quoted when it holds a comma, quote or line break, quotes
 * doubled. Text cells that a spreadsheet would take for a formula (starting with = + - @, or a
 * tab or CR) get a leading apostrophe (OWASP's CSV injection advice): names and notes are typed
 * by people, and a CSV is opened by double-click.
 */
import { codedErrors } from '../../kernel/errors.ts';

export const BOM = '\uFEFF';
export const CRLF = '\r\n';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A text cell made safe to open in a spreadsheet. */
export const neutralize = (s: string): string => (FORMULA_START.test(s) ? `'${s}` : s);

const quote = (s: string): string => (NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One field: text is neutralized, numbers (already formatted by us) are written as they are. */
export function csvField(v: string | number | null | undefined, kind: 'text' | 'number' = 'text'): string {
  if (v === null || v === undefined) return '';
  return quote(kind === 'number' ? String(v) : neutralize(String(v)));
}

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  cells: string[];
}

/** TG_DASH_CSV_SYNTAX; the message names the line and is shown to the user as it is. */
export class CsvSyntaxError extends codedErrors(
  'CsvSyntaxError',
  { SYNTAX: 'TG_DASH_CSV_SYNTAX' },
  { codeInMessage: false },
) {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super('TG_DASH_CSV_SYNTAX', message, { details: { line } });
  }
}

/**
 * RFC 4180 records (quoted fields may hold commas, quotes and line breaks); CRLF or LF; a leading
 * BOM is dropped; blank lines are skipped. Throws CsvSyntaxError with the line of the fault.
 */
export function parseCsv(text: string): CsvRecord[] {
  const s = text.startsWith(BOM) ? text.slice(1) : text;
  const out: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (s[i] === '"') {
        i += 1;
        for (;;) {
          if (i >= s.length) throw new CsvSyntaxError(start, `line ${start}: a quoted field is never closed`);
          const c = s[i] as string;
          if (c === '"') {
            if (s[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i += 1;
            break;
          }
          if (c === '\n') line += 1;
          cell += c;
          i += 1;
        }
        if (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r')
          throw new CsvSyntaxError(line, `line ${line}: text after a closing quote`);
      } else {
        while (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') {
          if (s[i] === '"') throw new CsvSyntaxError(line, `line ${line}: a quote inside an unquoted field`);
          cell += s[i];
          i += 1;
        }
      }
      cells.push(cell);
      if (s[i] === ',') {
        i += 1;
        continue;
      }
      break;
    }
    if (s[i] === '\r') i += 1;
    if (s[i] === '\n') i += 1;
    line += 1;
    if (!(cells.length === 1 && cells[0] === '')) out.push({ line: start, cells });
  }
  return out;
}
