/**
 * The GY-MLX90615 UART frame parser (protocols/gy-mlx90615) under generated input. A frame is
 * `5A 5A 45 04 OH OL AH AL SUM` with an 8-bit sum, so noise passes the sum once in 256: the
 * properties pin down that the parser only reports frames that carry the header, that every byte
 * is accounted for, that a real frame behind a truncated one is never swallowed by a lucky sum,
 * and that chunking never changes the result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FRAME_LENGTH,
  GyFrameParser,
  type GyReading,
} from '../../protocols/gy-mlx90615/index.ts';
import { concat, cut, cutPoints, occurrences } from './bytes.ts';
import { runs } from './settings.ts';

const HEADER = Uint8Array.of(0x5a, 0x5a, 0x45, 0x04);
const i16 = fc.integer({ min: -32768, max: 32767 });
const reading = fc.record({ objectHundredths: i16, ambientHundredths: i16 });
const frame = reading.map((r) => ({ r, bytes: encodeFrame(r) }));

/** Noise: random bytes (rich in 0x5A), a frame cut short, or a frame with a wrong sum. */
const noise = fc.oneof(
  fc.uint8Array({ maxLength: 20 }),
  fc.array(fc.constantFrom(0x5a, 0x45, 0x04, 0x00, 0xff), { maxLength: 12 }).map((a) => Uint8Array.from(a)),
  fc.tuple(frame, fc.integer({ min: 1, max: FRAME_LENGTH - 1 })).map(([f, n]) => f.bytes.slice(0, n)),
  fc
    .tuple(frame, fc.integer({ min: 1, max: 255 }))
    .map(([f, x]) => f.bytes.map((b, k) => (k === FRAME_LENGTH - 1 ? b ^ x : b))),
);

function parseAll(chunks: readonly Uint8Array[]): { p: GyFrameParser; out: GyReading[] } {
  const p = new GyFrameParser();
  const out: GyReading[] = [];
  for (const c of chunks) out.push(...p.push(c));
  return { p, out };
}

/** Every 9-byte window with the header and a matching sum: what a perfect parser could report. */
function validWindows(b: Uint8Array): number[] {
  const at: number[] = [];
  for (const s of occurrences(b, HEADER)) {
    if (s + FRAME_LENGTH > b.length) continue;
    let sum = 0;
    for (let k = 0; k < 8; k++) sum += b[s + k] as number;
    if ((sum & 0xff) === b[s + 8]) at.push(s);
  }
  return at;
}

describe('GyFrameParser under generated input', () => {
  it('random bytes in random chunks: never throws and accounts for every byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cutPoints(400), (bytes, at) => {
        const { p, out } = parseAll(cut(bytes, at));
        expect(p.stats.frames).toBe(out.length);
        p.reset();
        expect(out.length * FRAME_LENGTH + p.stats.droppedBytes).toBe(bytes.length);
      }),
      runs(300),
    );
  });

  it('no reading comes out of bytes that never carry the frame header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), noise, cutPoints(300), (bytes, extra, at) => {
        const stream = concat([bytes, extra]);
        fc.pre(occurrences(stream, HEADER).length === 0);
        expect(parseAll(cut(stream, at)).out).toEqual([]);
      }),
      runs(300),
    );
  });

  it('frames in noise (random bytes, truncated frames, bad sums) are each found exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(noise, frame), { minLength: 1, maxLength: 4 }),
        noise,
        cutPoints(200),
        (pairs, tail, at) => {
          const parts: Uint8Array[] = [];
          const starts: number[] = [];
          let pos = 0;
          for (const [n, f] of pairs) {
            parts.push(n, f.bytes);
            starts.push(pos + n.length);
            pos += n.length + FRAME_LENGTH;
          }
          // The line goes on: a frame's worth of quiet bytes lets the parser decide the last candidate.
          parts.push(tail, new Uint8Array(FRAME_LENGTH));
          const stream = concat(parts);
          // A window of noise that carries the header and a matching sum IS a frame on the wire;
          // one that starts inside a real frame wins over it by design (the 8-bit sum cannot tell
          // them apart). Only a noise window that overlaps a real frame from before it must lose.
          const real = new Set(starts);
          fc.pre(
            validWindows(stream).every(
              (s) => real.has(s) || starts.some((r) => r > s && r - s < FRAME_LENGTH),
            ),
          );
          const expected = pairs.map(([, f]) => f.r);
          expect(parseAll([stream]).out).toEqual(expected);
          expect(parseAll(cut(stream, at)).out).toEqual(expected);
        },
      ),
      runs(400),
    );
  });

  it('split at every boundary gives the same readings as the whole stream', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            noise,
            frame.map((f) => f.bytes),
          ),
          { maxLength: 5 },
        ),
        (parts) => {
          const stream = concat(parts);
          const whole = parseAll([stream]).out;
          for (let k = 0; k <= stream.length; k++) expect(parseAll(cut(stream, [k])).out).toEqual(whole);
          expect(parseAll(cut(stream, [...stream.keys()])).out).toEqual(whole);
        },
      ),
      runs(150),
    );
  });
});
