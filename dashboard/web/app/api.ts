/**
 * The only way the pages talk to the server. Same-origin cookies carry the session; every
 * state-changing request carries the CSRF token the server handed out with /api/me or the login.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthenticated: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when the session is gone (expired, logged out elsewhere): the app shows the login form. */
export function setOnUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

async function request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (method !== 'GET') {
    headers['x-csrf-token'] = csrfToken;
    if ((typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) && contentType) {
      headers['content-type'] = contentType;
      payload = body as BodyInit;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, 'TG_WEB_NETWORK', (err as Error).message, null);
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; message?: string };
    const err = new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, data);
    if (res.status === 401 && path !== '/api/login') onUnauthenticated();
    throw err;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
  /** A file's own bytes (a Blob): an uploaded CSV may be GBK, which the browser must not decode. */
  postText: <T>(path: string, text: string | Blob | ArrayBuffer, contentType: string) =>
    request<T>('POST', path, text, contentType),
};

/** Builds "?a=1&b=2" from the defined values. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== null && v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
