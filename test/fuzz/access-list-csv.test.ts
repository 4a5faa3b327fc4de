/**
 * HR's access-list CSV (hub/access-list/csv.ts, rows.ts) under generated input. Properties: the
 * parser never throws on any text or bytes; a well-formed file (fields with commas, quotes, CR/LF
 * and CJK inside quotes) comes back field for field with the line each record starts on; the
 * import is all or nothing (either every row becomes a valid entry, or there are issues, each
 * naming its line and a reason); a file broken on one line is reported at that line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entriesFromCsv } from '../../hub/access-list/rows.ts';
import { decodeUtf8, parseCsv } from '../../hub/access-list/csv.ts';
import { AccessEntry } from '../../protocols/gate/access-list.ts';
import { runs } from './settings.ts';

const enc = new TextEncoder();
const field = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('张伟', 'a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', ' ', '', '"', '=1+1'),
);
const quote = (f: string) => (/[",\r\n]/.test(f) || f.startsWith(' ') ? `"${f.replace(/"/g, '""')}"` : f);
const lines = (s: string) => s.split(/\r\n|\r|\n/).length - 1;

describe('parseCsv', () => {
  it('any text: never throws; records and problems name lines inside the text, in order', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc
            .array(fc.constantFrom('"', ',', '\n', '\r', 'a', '张', ' '), { maxLength: 80 })
            .map((a) => a.join('')),
        ),
        (text) => {
          const { records, problems } = parseCsv(text);
          const total = lines(text) + 1;
          const seen = [...records.map((r) => r.line), ...problems.map((p) => p.line)];
          for (const l of seen) expect(l >= 1 && l <= total).toBe(true);
          const recLines = records.map((r) => r.line);
          expect([...recLines].sort((a, b) => a - b)).toEqual(recLines);
          for (const p of problems) expect(p.reason.length).toBeGreaterThan(0);
        },
      ),
      runs(400),
    );
  });

  it('well-formed CSV round-trips field for field with the line each record starts on', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        (rows, eol) => {
          // A record of one empty field is a blank line, which the parser skips on purpose.
          const kept = rows.filter((r) => !(r.length === 1 && (r[0] as string).trim() === ''));
          const text = kept.map((r) => r.map(quote).join(',')).join(eol);
          const { records, problems } = parseCsv(text);
          expect(problems).toEqual([]);
          expect(records.map((r) => r.fields)).toEqual(kept);
          let line = 1;
          kept.forEach((r, i) => {
            expect(records[i]?.line).toBe(line);
            line += r.reduce((n, f) => n + (/[",\r\n]/.test(f) || f.startsWith(' ') ? lines(f) : 0), 0) + 1;
          });
        },
      ),
      runs(300),
    );
  });
});

describe('entriesFromCsv (the import HR runs)', () => {
  const header = 'employeeNo,name,department,kind,validFrom,validUntil';
  const good = fc.record({
    employeeNo: fc.stringMatching(/^[A-Z][0-9]{1,8}$/),
    name: fc.constantFrom('张伟', 'Anna Schmidt', '"Kumar, Ravi"', ''),
    kind: fc.constantFrom('employee', 'visitor', ''),
    validFrom: fc.constantFrom('', '2026-01-01', '2026-01-01T08:00'),
    validUntil: fc.constantFrom('', '2026-12-31', '2026-12-31T18:00+08:00'),
  });

  it('any bytes: never throws; all or nothing; every issue names a line and a reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .array(fc.oneof(good, fc.string({ maxLength: 20 })), { maxLength: 6 })
            .map((rows) =>
              enc.encode(
                [header, ...rows.map((r) => (typeof r === 'string' ? r : Object.values(r).join(',')))].join(
                  '\n',
                ),
              ),
            ),
        ),
        (bytes) => {
          const r = entriesFromCsv(bytes, { timeZone: 'Asia/Shanghai' });
          if ('entries' in r) {
            expect(r.entries.length).toBeGreaterThan(0);
            for (const e of r.entries) expect(AccessEntry.safeParse(e).success).toBe(true);
            expect(new Set(r.entries.map((e) => e.employeeNo)).size).toBe(r.entries.length);
          } else {
            expect(r.issues.length).toBeGreaterThan(0);
            for (const i of r.issues) {
              expect(i.reason.length).toBeGreaterThan(0);
              expect(i.where === '' || /^[0-9]+$/.test(i.where)).toBe(true);
            }
          }
        },
      ),
      runs(400),
    );
  });

  it('one broken row among good ones is reported at its own line and nothing is imported', () => {
    const broken = fc.constantFrom(
      ',Nobody,QA,employee,,',
      'E9,"unclosed,QA,employee,,',
      'E9,x,QA,contractor,,',
      'E9,x,QA,visitor,2026-13-01,',
      'E9,x,QA,visitor,2026-02-01,2026-01-01',
      'E9,x,QA',
      'E9,x"y,QA,employee,,',
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(good, { selector: (g) => g.employeeNo, minLength: 1, maxLength: 6 }),
        broken,
        fc.nat(),
        (rows, bad, at) => {
          const body = rows.map((r) => Object.values(r).join(','));
          const k = at % (body.length + 1);
          body.splice(k, 0, bad);
          const r = entriesFromCsv(enc.encode([header, ...body].join('\n')), { timeZone: 'Asia/Shanghai' });
          expect('issues' in r).toBe(true);
          if ('issues' in r) expect(r.issues.map((i) => i.where)).toContain(String(k + 2));
        },
      ),
      runs(300),
    );
  });

  it('invalid UTF-8 is reported at its line, whatever surrounds it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9,]{0,20}$/), { maxLength: 6 }),
        fc.nat(),
        (rows, at) => {
          const k = at % (rows.length + 1);
          const chunks = rows.map((r) => enc.encode(`${r}\n`));
          chunks.splice(k, 0, Uint8Array.of(0x45, 0xc3, 0x28, 0x0a)); // C3 28: a broken 2-byte sequence
          const bytes = Uint8Array.from(chunks.flatMap((c) => [...c]));
          const d = decodeUtf8(bytes);
          expect('problem' in d && d.problem.line).toBe(k + 1);
        },
      ),
      runs(200),
    );
  });
});
