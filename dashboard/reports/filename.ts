/**
 * Content-Disposition for downloads: a plain ASCII `filename` for old clients and the exact name
 * as RFC 5987 `filename*` (UTF-8, percent-encoded) for everyone else, so a Chinese name in the
 * file name survives.
 */

/** A piece of a file name: no path separators, no characters Windows refuses, no control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const UNSAFE = /[\u0000-\u001f\u007f/\\:*?"<>|]+/g;

export function safePart(s: string): string {
  return s.replace(UNSAFE, '_').trim().slice(0, 80) || '_';
}

/** RFC 5987 ext-value: attr-char as is, everything else %XX of its UTF-8 bytes. */
const encode5987 = (s: string): string =>
  encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encode5987(filename)}`;
}
