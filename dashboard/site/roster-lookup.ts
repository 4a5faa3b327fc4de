/** The person by employee number from the access list snapshot (indexed once per version). */
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';

export function rosterLookup(
  roster: () => AccessListSnapshot | null,
): (employeeNo: string) => { name: string; department: string } | undefined {
  let indexed: AccessListSnapshot | null = null;
  let byNo = new Map<string, { name: string; department: string }>();
  return (employeeNo) => {
    const r = roster();
    if (r !== indexed) {
      indexed = r;
      byNo = new Map(
        (r?.entries ?? []).map((e) => [e.employeeNo, { name: e.name, department: e.department }]),
      );
    }
    return byNo.get(employeeNo);
  };
}
