/**
 * HTTP Digest authentication (RFC 7616) as the terminals use it (devices.md §5): `algorithm=MD5`
 * (the default when absent), `qop=auth`. Both sides, pure: the edge parses a challenge and builds
 * the Authorization header; the simulator issues challenges and checks answers. The nonce count
 * (`nc`) is the caller's: a client reusing a cached challenge must send 1, 2, 3, ... so the server
 * can refuse a replay.
 */
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { md5Hex } from './md5.ts';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** The qop values offered, lowercase ('auth', 'auth-int'); empty for an RFC 2069 server. */
  qop: string[];
  /** The server says the nonce expired but the credentials were right: retry with the new nonce. */
  stale: boolean;
  algorithm: 'MD5' | 'MD5-sess';
}

const MAX_HEADER = 4096;

/**
 * auth-params of one scheme: `key=token` or `key="quoted \"string\""`, comma separated. Returns
 * undefined on a syntax error. Keys lowercased.
 */
function parseParams(s: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = 0;
  const n = s.length;
  const skipWs = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  while (i < n) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (i >= n) break;
    const keyStart = i;
    while (i < n && /[A-Za-z0-9_-]/.test(s[i] as string)) i++;
    const key = s.slice(keyStart, i).toLowerCase();
    if (!key) return undefined;
    skipWs();
    if (s[i] !== '=') return undefined;
    i++;
    skipWs();
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const ch = s[i] as string;
        if (ch === '\\' && i + 1 < n) {
          value += s[i + 1];
          i += 2;
        } else if (ch === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (!closed) return undefined;
    } else {
      const start = i;
      while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      value = s.slice(start, i);
    }
    out.set(key, value);
    skipWs();
    if (i < n && s[i] !== ',') return undefined;
  }
  return out;
}

/**
 * The Digest challenge of a `WWW-Authenticate` header. Several headers (Node joins them with ", ")
 * or a Basic challenge beside it are tolerated: the params after `Digest` are taken.
 */
export function parseDigestChallenge(header: string | string[] | undefined): Result<DigestChallenge> {
  const text = Array.isArray(header) ? (header.find((h) => /^\s*digest\s/i.test(h)) ?? '') : (header ?? '');
  if (text.length > MAX_HEADER)
    return fail(new ProtocolError(C.ISAPI_DIGEST, `challenge of ${text.length} characters`));
  const m = /(?:^|[\s,])digest\s+(.*)$/is.exec(text);
  if (!m)
    return fail(
      new ProtocolError(C.ISAPI_DIGEST, `no Digest challenge in ${JSON.stringify(text.slice(0, 80))}`),
    );
  // A Basic challenge after the Digest one would read as params of it: cut there.
  const rest = (m[1] as string).replace(/,\s*basic\s+realm=.*$/is, '');
  const p = parseParams(rest);
  if (!p) return fail(new ProtocolError(C.ISAPI_DIGEST, 'challenge params do not parse'));
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || !nonce)
    return fail(new ProtocolError(C.ISAPI_DIGEST, 'challenge without realm or nonce'));
  const alg = (p.get('algorithm') ?? 'MD5').toUpperCase();
  if (alg !== 'MD5' && alg !== 'MD5-SESS')
    return fail(new ProtocolError(C.ISAPI_DIGEST, `algorithm ${alg.slice(0, 20)} not supported (MD5 only)`));
  const qop = (p.get('qop') ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter(Boolean);
  if (qop.length > 0 && !qop.includes('auth'))
    return fail(new ProtocolError(C.ISAPI_DIGEST, `qop ${qop.join(',').slice(0, 40)} without auth`));
  const c: DigestChallenge = {
    realm,
    nonce,
    qop,
    stale: (p.get('stale') ?? '').toLowerCase() === 'true',
    algorithm: alg === 'MD5' ? 'MD5' : 'MD5-sess',
  };
  const opaque = p.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  return ok(c);
}

export interface DigestAnswerInput {
  username: string;
  password: string;
  method: string;
  /** Request-target exactly as sent, query included: `/ISAPI/AccessControl/remoteCheck?format=json`. */
  uri: string;
  /** 1 for the first request on a nonce, then 2, 3, ... */
  nc: number;
  cnonce: string;
}

/** nc as the header carries it: 8 hex digits. */
export const formatNc = (nc: number): string => (nc >>> 0).toString(16).padStart(8, '0');

/** The `response` value: KD(H(A1), nonce:nc:cnonce:qop:H(A2)), or H(H(A1):nonce:H(A2)) without qop. */
export function digestResponse(
  c: Pick<DigestChallenge, 'realm' | 'nonce' | 'algorithm'> & { qop: string[] | string | undefined },
  a: Omit<DigestAnswerInput, 'nc'> & { nc: string },
): string {
  let ha1 = md5Hex(`${a.username}:${c.realm}:${a.password}`);
  if (c.algorithm === 'MD5-sess') ha1 = md5Hex(`${ha1}:${c.nonce}:${a.cnonce}`);
  const ha2 = md5Hex(`${a.method.toUpperCase()}:${a.uri}`);
  const withQop = Array.isArray(c.qop) ? c.qop.length > 0 : c.qop !== undefined && c.qop !== '';
  return withQop
    ? md5Hex(`${ha1}:${c.nonce}:${a.nc}:${a.cnonce}:auth:${ha2}`)
    : md5Hex(`${ha1}:${c.nonce}:${ha2}`);
}

const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** The `Authorization: Digest ...` header for one request. */
export function buildDigestAuthorization(c: DigestChallenge, a: DigestAnswerInput): string {
  const nc = formatNc(a.nc);
  const response = digestResponse(c, { ...a, nc });
  const parts = [
    `username=${quote(a.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(a.uri)}`,
    `algorithm=${c.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (c.qop.length > 0) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(a.cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

// ---- server side (the simulated terminal) ------------------------------------------------------

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: 'MD5' | 'MD5-sess';
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Parses an `Authorization: Digest ...` header. */
export function parseDigestAuthorization(header: string | undefined): Result<DigestCredentials> {
  const text = header ?? '';
  if (text.length > MAX_HEADER)
    return fail(new ProtocolError(C.ISAPI_DIGEST, 'authorization header too long'));
  const m = /^\s*digest\s+(.*)$/is.exec(text);
  if (!m) return fail(new ProtocolError(C.ISAPI_DIGEST, 'not a Digest authorization'));
  const p = parseParams(m[1] as string);
  if (!p) return fail(new ProtocolError(C.ISAPI_DIGEST, 'authorization params do not parse'));
  const need = ['username', 'realm', 'nonce', 'uri', 'response'] as const;
  for (const k of need) if (p.get(k) === undefined) return fail(new ProtocolError(C.ISAPI_DIGEST, `no ${k}`));
  const alg = (p.get('algorithm') ?? 'MD5').toUpperCase();
  if (alg !== 'MD5' && alg !== 'MD5-SESS')
    return fail(new ProtocolError(C.ISAPI_DIGEST, 'algorithm not MD5'));
  const qop = p.get('qop');
  const nc = p.get('nc');
  const cnonce = p.get('cnonce');
  if (qop !== undefined && (qop !== 'auth' || !nc || !/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce))
    return fail(new ProtocolError(C.ISAPI_DIGEST, 'qop=auth needs nc (8 hex digits) and cnonce'));
  const out: DigestCredentials = {
    username: p.get('username') as string,
    realm: p.get('realm') as string,
    nonce: p.get('nonce') as string,
    uri: p.get('uri') as string,
    response: (p.get('response') as string).toLowerCase(),
    algorithm: alg === 'MD5' ? 'MD5' : 'MD5-sess',
  };
  if (qop !== undefined) out.qop = qop;
  if (nc !== undefined) out.nc = nc;
  if (cnonce !== undefined) out.cnonce = cnonce;
  const opaque = p.get('opaque');
  if (opaque !== undefined) out.opaque = opaque;
  return ok(out);
}

/** Whether the credentials answer their nonce with this password for this method. */
export function digestMatches(cred: DigestCredentials, password: string, method: string): boolean {
  const expected = digestResponse(
    { realm: cred.realm, nonce: cred.nonce, algorithm: cred.algorithm, qop: cred.qop },
    {
      username: cred.username,
      password,
      method,
      uri: cred.uri,
      nc: cred.nc ?? '',
      cnonce: cred.cnonce ?? '',
    },
  );
  return expected === cred.response;
}

/** A `WWW-Authenticate` value for a challenge (the simulator's 401). */
export function buildDigestChallenge(c: {
  realm: string;
  nonce: string;
  opaque?: string;
  stale?: boolean;
}): string {
  const parts = [`qop="auth"`, `realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`];
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  parts.push('algorithm=MD5');
  if (c.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}
