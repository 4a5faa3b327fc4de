/**
 * Who is expected: the access list snapshot (HR's roster). Employees whose validity overlaps the
 * day are expected to be checked twice; visitors are listed when screened, never expected.
 * People with readings who are on no list (left the company, a typo at a manual entry) are
 * shown as 'unlisted', so nothing measured disappears from a report.
 */
import type { AccessEntry, AccessListSnapshot } from '../../protocols/gate/access-list.ts';

export type PersonKind = 'employee' | 'visitor' | 'unlisted';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Department, then employee number: how HR reads a site's list. */
export const byDepartment = (
  a: { department: string; employeeNo: string },
  b: { department: string; employeeNo: string },
): number => cmp(a.department, b.department) || cmp(a.employeeNo, b.employeeNo);

export class Roster {
  private readonly index = new Map<string, AccessEntry>();
  private readonly employees: AccessEntry[];

  constructor(readonly snapshot: AccessListSnapshot | null) {
    for (const e of snapshot?.entries ?? []) this.index.set(e.employeeNo, e);
    this.employees = [...this.index.values()].filter((e) => e.kind === 'employee').sort(byDepartment);
  }

  get version(): number | null {
    return this.snapshot?.version ?? null;
  }

  get(employeeNo: string): AccessEntry | undefined {
    return this.index.get(employeeNo);
  }

  kindOf(employeeNo: string): PersonKind {
    return this.index.get(employeeNo)?.kind ?? 'unlisted';
  }

  /** Employees valid at some time of [from, to), in department order. */
  expected(from: number, to: number): AccessEntry[] {
    return this.employees.filter(
      (e) => (e.validFrom === null || e.validFrom < to) && (e.validUntil === null || e.validUntil > from),
    );
  }
}
