/**
 * What HR records about people beside the readings (the plans ask for both): absences with a
 * reason (leave, sick leave, business trip, …: such a person is not "missing" a check) and daily
 * health declarations (symptoms, travel in the last 14 days, contact with a case), entered by HR
 * or imported from the employees' self-reports. Kept in the dashboard's database.
 */
import type { Database, Statement } from 'better-sqlite3';
import { migrate } from '../db/migrate.ts';

export const ABSENCE_REASONS = ['leave', 'sick-leave', 'business-trip', 'day-off', 'other'] as const;
export type AbsenceReason = (typeof ABSENCE_REASONS)[number];
export const SYMPTOMS = ['fever', 'cough', 'fatigue', 'sore-throat', 'shortness-of-breath', 'other'] as const;
export type Symptom = (typeof SYMPTOMS)[number];

export interface Absence {
  id: number;
  employeeNo: string;
  /** Local days, inclusive. */
  from: string;
  to: string;
  reason: AbsenceReason;
  note: string;
  by: string;
  at: number;
}

export interface Declaration {
  id: number;
  employeeNo: string;
  day: string;
  symptoms: Symptom[];
  /** Places visited in the last 14 days (free text; empty: none). */
  travel: string;
  /** Contact with a confirmed or suspected case in the last 14 days. */
  contact: boolean;
  source: 'hr' | 'self-report';
  by: string;
  at: number;
}

/** Append-only (db/migrate.ts). */
const STEPS = [
  `
CREATE TABLE hr_absence (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  employee_no TEXT    NOT NULL,
  from_day    TEXT    NOT NULL,
  to_day      TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  note        TEXT    NOT NULL,
  by          TEXT    NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX hr_absence_days ON hr_absence (from_day, to_day);
CREATE TABLE hr_declaration (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  employee_no TEXT    NOT NULL,
  day         TEXT    NOT NULL,
  symptoms    TEXT    NOT NULL,
  travel      TEXT    NOT NULL,
  contact     INTEGER NOT NULL,
  source      TEXT    NOT NULL,
  by          TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  UNIQUE (employee_no, day)
);
CREATE INDEX hr_declaration_day ON hr_declaration (day);
`,
];

type Row = Record<string, string | number>;

const absence = (r: Row): Absence => ({
  id: r.id as number,
  employeeNo: r.employee_no as string,
  from: r.from_day as string,
  to: r.to_day as string,
  reason: r.reason as AbsenceReason,
  note: r.note as string,
  by: r.by as string,
  at: r.at as number,
});

const declaration = (r: Row): Declaration => ({
  id: r.id as number,
  employeeNo: r.employee_no as string,
  day: r.day as string,
  symptoms: JSON.parse(r.symptoms as string) as Symptom[],
  travel: r.travel as string,
  contact: r.contact === 1,
  source: r.source as Declaration['source'],
  by: r.by as string,
  at: r.at as number,
});

/** What a day's log needs to know about a person beside the readings. */
export interface DayNotes {
  absence(employeeNo: string, day: string): Absence | null;
  declaration(employeeNo: string, day: string): Declaration | null;
}

export class HrRecords implements DayNotes {
  private readonly s: Record<
    | 'addAbsence'
    | 'absencesOn'
    | 'absencesIn'
    | 'removeAbsence'
    | 'getAbsence'
    | 'putDeclaration'
    | 'declarationsIn',
    Statement
  >;

  constructor(db: Database) {
    migrate(db, 'hr-records', STEPS);
    this.s = {
      addAbsence: db.prepare(
        'INSERT INTO hr_absence (employee_no, from_day, to_day, reason, note, by, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      absencesOn: db.prepare(
        'SELECT * FROM hr_absence WHERE from_day <= ? AND to_day >= ? ORDER BY employee_no, id',
      ),
      absencesIn: db.prepare('SELECT * FROM hr_absence WHERE from_day <= ? AND to_day >= ? ORDER BY id'),
      removeAbsence: db.prepare('DELETE FROM hr_absence WHERE id = ?'),
      getAbsence: db.prepare('SELECT * FROM hr_absence WHERE id = ?'),
      // One declaration per person and day: a later one (HR correcting, a second import) replaces it.
      putDeclaration: db.prepare(
        `INSERT INTO hr_declaration (employee_no, day, symptoms, travel, contact, source, by, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (employee_no, day) DO UPDATE SET symptoms = excluded.symptoms, travel = excluded.travel,
           contact = excluded.contact, source = excluded.source, by = excluded.by, at = excluded.at`,
      ),
      declarationsIn: db.prepare(
        'SELECT * FROM hr_declaration WHERE day >= ? AND day <= ? ORDER BY day, employee_no',
      ),
    };
  }

  addAbsence(a: Omit<Absence, 'id'>): Absence {
    const r = this.s.addAbsence.run(a.employeeNo, a.from, a.to, a.reason, a.note, a.by, a.at);
    return { ...a, id: Number(r.lastInsertRowid) };
  }

  getAbsence(id: number): Absence | null {
    const r = this.s.getAbsence.get(id) as Row | undefined;
    return r ? absence(r) : null;
  }

  removeAbsence(id: number): boolean {
    return this.s.removeAbsence.run(id).changes > 0;
  }

  absencesOn(day: string): Absence[] {
    return (this.s.absencesOn.all(day, day) as Row[]).map(absence);
  }

  putDeclaration(d: Omit<Declaration, 'id'>): void {
    this.s.putDeclaration.run(
      d.employeeNo,
      d.day,
      JSON.stringify(d.symptoms),
      d.travel,
      d.contact ? 1 : 0,
      d.source,
      d.by,
      d.at,
    );
  }

  declarations(from: string, to: string): Declaration[] {
    return (this.s.declarationsIn.all(from, to) as Row[]).map(declaration);
  }

  absence(employeeNo: string, day: string): Absence | null {
    return this.absencesOn(day).find((a) => a.employeeNo === employeeNo) ?? null;
  }

  declaration(employeeNo: string, day: string): Declaration | null {
    return this.declarations(day, day).find((d) => d.employeeNo === employeeNo) ?? null;
  }

  /** The notes of a period read once (a month's export asks per person and day). */
  notesFor(from: string, to: string): DayNotes {
    // By person: a site's day asks for each of 50,000 people (issue 22), in constant time each.
    const abs = new Map<string, Absence[]>();
    for (const a of (this.s.absencesIn.all(to, from) as Row[]).map(absence)) {
      const list = abs.get(a.employeeNo);
      if (list) list.push(a);
      else abs.set(a.employeeNo, [a]);
    }
    const decl = new Map(this.declarations(from, to).map((d) => [`${d.employeeNo}|${d.day}`, d]));
    return {
      absence: (no, day) => abs.get(no)?.find((a) => a.from <= day && a.to >= day) ?? null,
      declaration: (no, day) => decl.get(`${no}|${day}`) ?? null,
    };
  }
}

/** A declaration says something is wrong: a symptom, travel or contact. */
export const declaresSomething = (d: Pick<Declaration, 'symptoms' | 'travel' | 'contact'>): boolean =>
  d.symptoms.length > 0 || d.contact;
