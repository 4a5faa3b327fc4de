/**
 * The bytes of an uploaded CSV as text. Excel on Chinese Windows saves "CSV (逗号分隔)" as GBK
 * (GB18030 is its superset), other tools BOM-less UTF-8, newer Excel "CSV UTF-8" with a BOM.
 * UTF-8 is tried strictly first (a GBK file is almost never valid UTF-8, while a UTF-8 file always
 * decodes as *something* in GB18030), then GB18030 strictly; a file that is neither is refused,
 * never decoded with U+FFFD in place of what could not be read (issue #18). Node's ICU decoder
 * does GB18030, so no extra dependency is needed.
 */
export type Decoded =
  | { text: string; encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030' }
  | { error: 'encoding' };

function strict(encoding: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

export function decodeCsvBytes(bytes: Uint8Array): Decoded {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    const t = strict('utf-8', bytes.subarray(3));
    return t === null ? { error: 'encoding' } : { text: t, encoding: 'utf-8' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    const t = strict('utf-16le', bytes.subarray(2));
    return t === null ? { error: 'encoding' } : { text: t, encoding: 'utf-16le' };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const t = strict('utf-16be', bytes.subarray(2));
    return t === null ? { error: 'encoding' } : { text: t, encoding: 'utf-16be' };
  }
  const utf8 = strict('utf-8', bytes);
  if (utf8 !== null) return { text: utf8, encoding: 'utf-8' };
  const gb = strict('gb18030', bytes);
  if (gb !== null) return { text: gb, encoding: 'gb18030' };
  return { error: 'encoding' };
}
