/**
 * The simulated ISAPI terminal's person list (its `UserInfo` store), device side: what
 * `UserInfo/Record`, `Modify`, `Delete` and `Search` do on a terminal (protocols/hik-isapi/users.ts
 * names the public ISAPI material they follow). Independent of edge/.
 *
 * - Record refuses an employeeNo it has (`employeeNoAlreadyExist`); Modify refuses one it has not
 *   (`employeeNoNotExist`); Delete removes the persons it names (unknown ones are ignored, as
 *   terminals do); Search pages in record order, at most `maxPage` (30) per answer whatever
 *   `maxResults` asks, with `MORE` / `OK` / `NO MATCH`.
 * - `recognises(employeeNo, at)`: on the list and inside its validity (terminal-local time, the
 *   terminal's UTC offset). With `enforce` on (IsapiTerminal option `enforcePersonList`), the
 *   terminal's events report only such persons as matched (5/75); anyone else is an unknown face (5/76).
 * - Faults: `refuse(employeeNo, answer)` makes Record/Modify of that person fail with the given
 *   statusCode/subStatusCode, as a terminal does for data it cannot take.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  encodeResponseStatus,
  encodeUserInfoSearchPage,
  type IsapiUser,
  isapiUserValidAt,
  parseUserInfo,
  parseUserInfoDelete,
  parseUserInfoSearch,
  SUB_EMPLOYEE_EXISTS,
  UserInfoPath,
} from '../../protocols/hik-isapi/index.ts';

export type UserInfoOp = 'record' | 'modify' | 'delete' | 'search';

const ROUTES: Record<string, { method: string; op: UserInfoOp }> = {
  [UserInfoPath.record]: { method: 'POST', op: 'record' },
  [UserInfoPath.modify]: { method: 'PUT', op: 'modify' },
  [UserInfoPath.delete]: { method: 'PUT', op: 'delete' },
  [UserInfoPath.search]: { method: 'POST', op: 'search' },
};

/** The UserInfo operation a request asks for, if any. */
export function userInfoRoute(method: string | undefined, url: string): UserInfoOp | undefined {
  const r = ROUTES[url];
  return r && r.method === method ? r.op : undefined;
}

interface Answer {
  statusCode: number;
  subStatusCode: string;
}

export class IsapiPersonList {
  private readonly users = new Map<string, IsapiUser>();
  private readonly refusals = new Map<string, Answer>();
  /** Requests served per operation (tests: batching). */
  readonly requests: Record<UserInfoOp, number> = { record: 0, modify: 0, delete: 0, search: 0 };

  constructor(
    private readonly o: { offsetMinutes: number; maxPage?: number; initial?: IsapiUser[] } = {
      offsetMinutes: 480,
    },
  ) {
    for (const u of o.initial ?? []) this.users.set(u.employeeNo, u);
  }

  get size(): number {
    return this.users.size;
  }

  get(employeeNo: string): IsapiUser | undefined {
    return this.users.get(employeeNo);
  }

  list(): IsapiUser[] {
    return [...this.users.values()];
  }

  /** As if enrolled on the terminal's own web page. */
  add(u: IsapiUser): void {
    this.users.set(u.employeeNo, u);
  }

  refuse(employeeNo: string, answer: Answer): void {
    this.refusals.set(employeeNo, answer);
  }

  accept(employeeNo: string): void {
    this.refusals.delete(employeeNo);
  }

  recognises(employeeNo: string, atMs: number): boolean {
    const u = this.users.get(employeeNo);
    return u !== undefined && isapiUserValidAt(u, atMs, this.o.offsetMinutes);
  }

  /** Serves one authenticated UserInfo request. */
  handle(op: UserInfoOp, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      this.requests[op]++;
      const a =
        size > 1024 * 1024
          ? status(413, 6, 'Invalid Content', 'badContentLength')
          : this.answer(op, Buffer.concat(chunks));
      res.writeHead(a.http, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(a.body),
      });
      res.end(a.body);
    });
  }

  private answer(op: UserInfoOp, body: Buffer): { http: number; body: string } {
    if (op === 'search') return this.search(body);
    if (op === 'delete') {
      const r = parseUserInfoDelete(body);
      if (!r.ok) return status(400, 6, 'Invalid Content', 'badJsonContent');
      for (const no of r.value) this.users.delete(no);
      return status(200, 1, 'OK', 'ok');
    }
    const r = parseUserInfo(body);
    if (!r.ok) return status(400, 6, 'Invalid Content', 'badJsonContent');
    for (const u of r.value) {
      const refused = this.refusals.get(u.employeeNo);
      if (refused) return status(400, refused.statusCode, 'Invalid Content', refused.subStatusCode);
      if (op === 'record' && this.users.has(u.employeeNo))
        return status(400, 6, 'Invalid Content', SUB_EMPLOYEE_EXISTS);
      if (op === 'modify' && !this.users.has(u.employeeNo))
        return status(400, 6, 'Invalid Content', 'employeeNoNotExist');
    }
    for (const u of r.value) this.users.set(u.employeeNo, u);
    return status(200, 1, 'OK', 'ok');
  }

  private search(body: Buffer): { http: number; body: string } {
    const r = parseUserInfoSearch(body);
    if (!r.ok) return status(400, 6, 'Invalid Content', 'badJsonContent');
    const all = [...this.users.values()];
    const { searchID, searchResultPosition: at, maxResults } = r.value;
    const page = all.slice(at, at + Math.min(maxResults, this.o.maxPage ?? 30));
    return {
      http: 200,
      body: encodeUserInfoSearchPage({
        searchID,
        status: page.length === 0 ? 'NO MATCH' : at + page.length < all.length ? 'MORE' : 'OK',
        numOfMatches: page.length,
        totalMatches: all.length,
        users: page,
      }),
    };
  }
}

function status(http: number, statusCode: number, statusString: string, sub: string) {
  return { http, body: encodeResponseStatus({ statusCode, statusString, subStatusCode: sub }) };
}
