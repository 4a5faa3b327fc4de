/**
 * RFC 4180 CSV records with the line each starts on, so every error can name its line. UTF-8 is
 * checked line by line (a newline byte never occurs inside a multi-byte sequence), so a file saved
 * in the wrong encoding is reported at its first bad line rather than as mojibake further on.
 */
export interface CsvRecord {
  /** 1-based line number where the record starts. */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  reason: string;
}

export function decodeUtf8(bytes: Uint8Array): { text: string } | { problem: CsvProblem } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return { problem: { line, reason: 'not valid UTF-8 (save the file as "CSV UTF-8")' } };
      }
      start = i + 1;
      line++;
    }
  }
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text };
}

export function parseCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    let bad: string | undefined;
    for (;;) {
      if (i >= n) {
        if (quoted) bad = 'a quoted field is never closed';
        fields.push(field);
        break;
      }
      const c = text[i] as string;
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            const next = text[i];
            if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r')
              bad ??= 'text after a closing quote';
          }
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (c === '\r' || c === '\n') {
        fields.push(field);
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      } else {
        if (c === '"')
          bad ??= 'a quote inside an unquoted field (quote the whole field and double the quote)';
        field += c;
        atFieldStart = false;
        i++;
      }
    }
    if (bad) problems.push({ line: startLine, reason: bad });
    else if (!(fields.length === 1 && fields[0]?.trim() === '')) records.push({ line: startLine, fields });
  }
  return { records, problems };
}
