/**
 * GY-MCU90615 style UART module (devices.md §2): three-byte commands and a 9-byte frame
 * `5A 5A 45 04 OH OL AH AL SUM`, temperatures in 0.01 °C, signed big-endian.
 * The module reports skin (object) temperature with no body compensation.
 */
export const Command = {
  Query: Uint8Array.of(0xa5, 0x45, 0xea),
  StartContinuous: Uint8Array.of(0xa5, 0x51, 0xf6),
  StopContinuous: Uint8Array.of(0xa5, 0x52, 0xf7),
} as const;
export type CommandName = keyof typeof Command;

export const FRAME_LENGTH = 9;
export const CONTINUOUS_PERIOD_MS = 100;
export const SUPPORTED_BAUD_RATES = [9600, 115200] as const;
const HEADER = [0x5a, 0x5a, 0x45, 0x04] as const;

export interface GyReading {
  /** Object (skin) temperature, hundredths of °C as sent. */
  objectHundredths: number;
  ambientHundredths: number;
}

const int16 = (hi: number, lo: number) => {
  const u = (hi << 8) | lo;
  return u & 0x8000 ? u - 0x10000 : u;
};

export function encodeFrame(r: GyReading): Uint8Array {
  const f = new Uint8Array(FRAME_LENGTH);
  f.set(HEADER);
  f[4] = (r.objectHundredths >> 8) & 0xff;
  f[5] = r.objectHundredths & 0xff;
  f[6] = (r.ambientHundredths >> 8) & 0xff;
  f[7] = r.ambientHundredths & 0xff;
  f[8] = checksum(f);
  return f;
}

function checksum(f: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < 8; i++) s += f[i] as number;
  return s & 0xff;
}

/** Decodes one whole frame; undefined when header or sum is wrong. */
export function decodeFrame(f: Uint8Array): GyReading | undefined {
  if (f.length !== FRAME_LENGTH) return undefined;
  for (let i = 0; i < HEADER.length; i++) if (f[i] !== HEADER[i]) return undefined;
  if (checksum(f) !== f[8]) return undefined;
  return {
    objectHundredths: int16(f[4] as number, f[5] as number),
    ambientHundredths: int16(f[6] as number, f[7] as number),
  };
}

/** Module side: recognise a command at the start of bytes. */
export function matchCommand(bytes: Uint8Array, at = 0): CommandName | undefined {
  for (const [name, cmd] of Object.entries(Command) as [CommandName, Uint8Array][]) {
    if (at + 3 <= bytes.length && cmd.every((b, i) => bytes[at + i] === b)) return name;
  }
  return undefined;
}

/**
 * Rounds hundredths to tenths, half away from zero, in integers: 36.65 → 36.7, 36.64 → 36.6.
 * The decision works on tenths; this is the one place the module's extra digit is dropped.
 */
export function hundredthsToTenths(h: number): number {
  const sign = h < 0 ? -1 : 1;
  return sign * Math.floor((Math.abs(h) + 5) / 10);
}

export interface GyParserStats {
  frames: number;
  badFrames: number;
  droppedBytes: number;
}

/** Host side: finds frames in an arbitrary byte stream; resyncs on 5A 5A, drops bad sums, never throws. */
export class GyFrameParser {
  readonly stats: GyParserStats = { frames: 0, badFrames: 0, droppedBytes: 0 };
  private buf: number[] = [];

  push(chunk: Uint8Array): GyReading[] {
    for (const b of chunk) this.buf.push(b);
    const out: GyReading[] = [];
    let i = 0;
    while (this.buf.length - i >= 2) {
      if (this.buf[i] !== 0x5a || this.buf[i + 1] !== 0x5a) {
        i++;
        this.stats.droppedBytes++;
        continue;
      }
      if (this.buf.length - i < FRAME_LENGTH) break;
      const frame = Uint8Array.from(this.buf.slice(i, i + FRAME_LENGTH));
      const reading = decodeFrame(frame);
      // An 8-bit sum passes by chance once in 256: a truncated frame followed by a good one can
      // look valid. When a header starts inside the candidate, the inner frame wins if it checks;
      // when the buffer ends inside what may be such a header, wait for the next bytes.
      const inner = reading ? this.innerHeaderAt(i) : -1;
      if (inner === 0) break;
      if (inner > 0) {
        if (this.buf.length - (i + inner) < FRAME_LENGTH) break;
        if (decodeFrame(Uint8Array.from(this.buf.slice(i + inner, i + inner + FRAME_LENGTH)))) {
          this.stats.badFrames++;
          this.stats.droppedBytes += inner;
          i += inner;
          continue;
        }
      }
      if (reading) {
        out.push(reading);
        this.stats.frames++;
        i += FRAME_LENGTH;
      } else {
        // Bad header tail or sum: skip only the first 5A so a real frame that starts inside is found.
        this.stats.badFrames++;
        this.stats.droppedBytes++;
        i++;
      }
    }
    // A lone trailing byte that cannot start a frame is garbage already.
    if (this.buf.length - i === 1 && this.buf[i] !== 0x5a) {
      i++;
      this.stats.droppedBytes++;
    }
    this.buf = this.buf.slice(i);
    return out;
  }

  /**
   * Offset (1..8) of a header starting inside the candidate at i, which may run past the candidate's
   * end (a frame cut short after its sixth byte hides the next header's start in its last bytes);
   * 0 when the buffer ends before that can be told; -1 when there is none.
   */
  private innerHeaderAt(i: number): number {
    for (let k = 1; k < FRAME_LENGTH; k++) {
      let j = 0;
      while (j < HEADER.length && i + k + j < this.buf.length && this.buf[i + k + j] === HEADER[j]) j++;
      if (j === HEADER.length) return k;
      if (i + k + j >= this.buf.length) return 0;
    }
    return -1;
  }

  /** Module side counterpart is not needed: commands are fixed 3-byte sequences (see matchCommand). */
  reset(): void {
    this.stats.droppedBytes += this.buf.length;
    this.buf = [];
  }
}
