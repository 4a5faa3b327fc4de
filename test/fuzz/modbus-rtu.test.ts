/**
 * The Modbus RTU stream framer (protocols/modbus-ir/rtu-stream.ts) under generated input, both
 * directions: the edge frames the thermometer's answers, the simulator frames the edge's requests.
 * Properties: it never throws; every byte it is given is accounted for (in a frame, dropped and
 * counted, or still pending); what is pending stays bounded (the work per byte is bounded); it
 * never returns a frame whose CRC does not match, so random noise gives no reading; valid frames
 * in noise (random bytes, truncated frames, frames with a bad CRC) are each found exactly once; and
 * the way the stream is cut into chunks never changes what is found.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInputRegisters,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ModbusRequest,
  type ModbusResponse,
  RtuStreamDecoder,
  type RtuDirection,
} from '../../protocols/modbus-ir/index.ts';
import { concat, cut, cutPoints, hex } from './bytes.ts';
import { runs } from './settings.ts';

/** Longest candidate the framer may hold: a 0x03/0x04 answer with byte count 255. */
const MAX_PENDING = 5 + 255;

// An independent CRC-16/MODBUS (bitwise, no table) so the oracle does not share code with the framer.
function crcStep(crc: number, byte: number): number {
  let c = crc ^ byte;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  return c;
}

/** Every [start, end) of `b` whose last two bytes are the CRC of the rest (4..maxLen bytes). */
function crcValidSpans(b: Uint8Array, maxLen = MAX_PENDING): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let s = 0; s < b.length; s++) {
    // Invariant: crc covers b[s, e - 2) when the span [s, e) is tested.
    let crc = crcStep(crcStep(0xffff, b[s] as number), b[s + 1] ?? 0);
    for (let e = s + 4; e <= Math.min(b.length, s + maxLen); e++) {
      if (b[e - 2] === (crc & 0xff) && b[e - 1] === crc >>> 8) spans.push([s, e]);
      crc = crcStep(crc, b[e - 2] as number);
    }
  }
  return spans;
}

function decodeAll(direction: RtuDirection, chunks: readonly Uint8Array[]) {
  const d = new RtuStreamDecoder(direction);
  const frames: Uint8Array[] = [];
  let maxPending = 0;
  for (const c of chunks) {
    frames.push(...d.push(c));
    maxPending = Math.max(maxPending, d.pending);
  }
  return { d, frames, maxPending };
}

const byte = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });

const responseFrame: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.record({
      slave: byte,
      fn: fc.constantFrom(3, 4),
      registers: fc.array(u16, { minLength: 1, maxLength: 12 }),
    }),
    fc.record({ slave: byte, fn: fc.constant(6), address: u16, value: u16 }),
    fc.record({ slave: byte, fn: fc.integer({ min: 1, max: 0x7f }), exception: byte }),
  )
  .map((r) => encodeResponse(r as ModbusResponse));

/** What the edge sends: reads and writes. */
const knownRequest: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.record({ slave: byte, fn: fc.constantFrom(3, 4), address: u16, quantity: u16 }),
    fc.record({ slave: byte, fn: fc.constant(6), address: u16, value: u16 }),
  )
  .map((r) => encodeRequest(r as ModbusRequest));

/**
 * Any request, including functions the thermometer refuses. An unknown function has no length
 * rule, so noise in front of one can hold it until the line falls silent (the slave's flush): such
 * frames appear in the noise here, the frames that must be found are the known ones.
 */
const anyRequest: fc.Arbitrary<Uint8Array> = fc.oneof(
  knownRequest,
  fc
    .record({
      slave: byte,
      fn: fc.integer({ min: 1, max: 0x7f }).filter((f) => f !== 3 && f !== 4 && f !== 6),
      data: fc.uint8Array({ maxLength: 12 }),
    })
    .map((r) => encodeRequest(r as ModbusRequest)),
);

/** Line noise: random bytes, a frame cut short, or a frame with one byte flipped (bad CRC). */
const noise = (frame: fc.Arbitrary<Uint8Array>) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 24 }),
    fc.tuple(frame, fc.nat()).map(([f, n]) => f.slice(0, 1 + (n % (f.length - 1)))),
    fc
      .tuple(frame, fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([f, i, x]) => f.map((b, k) => (k === i % f.length ? b ^ x : b))),
  );

for (const [direction, frame, noisy] of [
  ['response', responseFrame, responseFrame],
  ['request', knownRequest, anyRequest],
] as const) {
  describe(`RtuStreamDecoder('${direction}') under generated input`, () => {
    it('random bytes in random chunks: never throws, accounts for every byte, stays bounded, CRC always holds', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), cutPoints(600), (bytes, at) => {
          const { d, frames, maxPending } = decodeAll(direction, cut(bytes, at));
          const inFrames = frames.reduce((n, f) => n + f.length, 0);
          expect(inFrames + d.stats.droppedBytes + d.pending).toBe(bytes.length);
          expect(maxPending).toBeLessThanOrEqual(MAX_PENDING);
          for (const f of frames)
            expect(crcValidSpans(f).some(([s, e]) => s === 0 && e === f.length)).toBe(true);
          if (d.stats.droppedBytes > 0) expect(d.stats.badFrames).toBeGreaterThan(0);
          expect(d.stats.badFrames).toBeLessThanOrEqual(d.stats.droppedBytes + 1);
          expect(d.stats.frames).toBe(frames.length);
          d.flush();
          expect(d.pending).toBe(0);
          expect(inFrames + d.stats.droppedBytes).toBe(bytes.length);
        }),
        runs(300),
      );
    });

    it('noise with no CRC-valid span in it gives no frame at all', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), cutPoints(200), (bytes, at) => {
          fc.pre(crcValidSpans(bytes).length === 0);
          const { d, frames } = decodeAll(direction, cut(bytes, at));
          d.flush();
          expect(frames).toEqual([]);
          expect(d.stats.droppedBytes).toBe(bytes.length);
        }),
        runs(300),
      );
    });

    it('valid frames in noise are each found exactly once, in order, however the stream is cut', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(noise(noisy), frame), { minLength: 1, maxLength: 3 }),
          noise(noisy),
          cutPoints(400),
          (pairs, tail, at) => {
            const parts: Uint8Array[] = [];
            const spans = new Set<string>();
            let pos = 0;
            for (const [n, f] of pairs) {
              parts.push(n, f);
              spans.add(`${pos + n.length}:${pos + n.length + f.length}`);
              pos += n.length + f.length;
            }
            parts.push(tail);
            const stream = concat(parts);
            // A span of the noise that happens to carry a valid CRC IS a frame on the wire: such
            // streams say nothing about this property and are skipped (about 1 in 300).
            fc.pre(crcValidSpans(stream).every(([s, e]) => spans.has(`${s}:${e}`)));
            const expected = pairs.map(([, f]) => hex(f));
            const whole = decodeAll(direction, [stream]);
            expect(whole.frames.map(hex)).toEqual(expected);
            const chunked = decodeAll(direction, cut(stream, at));
            expect(chunked.frames.map(hex)).toEqual(expected);
          },
        ),
        runs(300),
      );
    });

    it('split at every boundary gives the same frames as the whole stream', () => {
      const part = fc.oneof(
        noisy.map((bytes) => ({ bytes, frame: true })),
        noise(noisy).map((bytes) => ({ bytes, frame: false })),
      );
      fc.assert(
        fc.property(fc.array(part, { maxLength: 4 }), (parts) => {
          const stream = concat(parts.map((p) => p.bytes));
          const frameSpans = new Set<string>();
          let pos = 0;
          for (const p of parts) {
            if (p.frame) frameSpans.add(`${pos}:${pos + p.bytes.length}`);
            pos += p.bytes.length;
          }
          // As above: a CRC-valid span made by chance is a frame the chunking may legitimately see or not.
          fc.pre(crcValidSpans(stream).every(([a, b]) => frameSpans.has(`${a}:${b}`)));
          const whole = decodeAll(direction, [stream]).frames.map(hex);
          for (let k = 0; k <= stream.length; k++)
            expect(decodeAll(direction, cut(stream, [k])).frames.map(hex)).toEqual(whole);
          // Byte by byte, as a slow serial line delivers it.
          expect(decodeAll(direction, cut(stream, [...stream.keys()])).frames.map(hex)).toEqual(whole);
        }),
        runs(100),
      );
    });
  });
}

describe('the edge never reads a temperature out of noise', () => {
  it('a snapshot comes only from a frame whose CRC holds and that was on the wire verbatim', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cutPoints(400), (bytes, at) => {
        const { frames } = decodeAll('response', cut(bytes, at));
        for (const f of frames) {
          expect(hex(bytes)).toContain(hex(f));
          const r = decodeResponse(f);
          if (r.ok && 'registers' in r.value) decodeInputRegisters(r.value.registers);
        }
      }),
      runs(300),
    );
  });
});
