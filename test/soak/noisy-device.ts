/**
 * Line noise between the simulated thermometer and the wire: a rate of its answers arrive with
 * random bytes in front, cut short, or with a byte flipped (bad CRC). Wraps the simulator's device
 * (a StreamDevice), so the fault is on the serial bytes themselves and the edge sees exactly what a
 * noisy RS-485 line would give it.
 */
import type { ByteSink, StreamDevice } from '../../firmware-sim/transport/stream-device.ts';
import type { Rng } from './rng.ts';

export interface NoiseCounts {
  answers: number;
  noisePrefixed: number;
  truncated: number;
  badCrc: number;
}

export class NoisyDevice implements StreamDevice {
  readonly label: string;
  /** Fraction of answers corrupted, 0..1. */
  rate = 0;
  readonly counts: NoiseCounts = { answers: 0, noisePrefixed: 0, truncated: 0, badCrc: 0 };

  constructor(
    private readonly inner: StreamDevice,
    private readonly rng: Rng,
  ) {
    this.label = `noisy ${inner.label}`;
  }

  attach(sink: ByteSink): void {
    this.inner.attach((bytes) => sink(this.corrupt(bytes)));
  }
  detach(): void {
    this.inner.detach();
  }
  receive(chunk: Uint8Array): void {
    this.inner.receive(chunk);
  }
  dispose(): void {
    this.inner.dispose();
  }

  private corrupt(bytes: Uint8Array): Uint8Array {
    this.counts.answers++;
    if (this.rng() >= this.rate || bytes.length < 2) return bytes;
    const kind = Math.floor(this.rng() * 3);
    if (kind === 0) {
      this.counts.noisePrefixed++;
      const noise = Uint8Array.from({ length: 1 + Math.floor(this.rng() * 8) }, () =>
        Math.floor(this.rng() * 256),
      );
      return Uint8Array.from([...noise, ...bytes]);
    }
    if (kind === 1) {
      this.counts.truncated++;
      return bytes.slice(0, 1 + Math.floor(this.rng() * (bytes.length - 1)));
    }
    this.counts.badCrc++;
    const out = bytes.slice();
    const i = Math.floor(this.rng() * out.length);
    out[i] = (out[i] as number) ^ (1 + Math.floor(this.rng() * 255));
    return out;
  }
}
