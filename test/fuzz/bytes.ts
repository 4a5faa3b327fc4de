/** Byte-stream helpers shared by the serial fuzz properties. */
import fc from 'fast-check';

export const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Cuts `bytes` at the given sorted positions. */
export const cut = (bytes: Uint8Array, at: readonly number[]): Uint8Array[] => {
  const points = [...new Set(at.map((p) => Math.min(Math.max(p, 0), bytes.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
};

/** Random cut points for a stream of up to `max` bytes: chunking as a transport delivers it. */
export const cutPoints = (max: number) => fc.array(fc.nat({ max }), { maxLength: 12 });

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Positions where `needle` occurs in `hay`. */
export function occurrences(hay: Uint8Array, needle: Uint8Array): number[] {
  const at: number[] = [];
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    at.push(i);
  }
  return at;
}
