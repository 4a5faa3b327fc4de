import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../hex.ts';
import {
  Command,
  decodeFrame,
  encodeFrame,
  GyFrameParser,
  hundredthsToTenths,
  matchCommand,
} from './index.ts';

const EXAMPLE = '5A 5A 45 04 0E 4E 09 CE 30'; // 36.62 °C object, 25.10 °C ambient (devices.md §2)

describe('gy-mlx90615 codec', () => {
  it('commands are the spec bytes', () => {
    expect(toHex(Command.Query)).toBe('A5 45 EA');
    expect(toHex(Command.StartContinuous)).toBe('A5 51 F6');
    expect(toHex(Command.StopContinuous)).toBe('A5 52 F7');
    expect(matchCommand(fromHex('A5 51 F6'))).toBe('StartContinuous');
    expect(matchCommand(fromHex('A5 51 F7'))).toBeUndefined();
  });

  it('spec example both ways', () => {
    expect(toHex(encodeFrame({ objectHundredths: 3662, ambientHundredths: 2510 }))).toBe(EXAMPLE);
    expect(decodeFrame(fromHex(EXAMPLE))).toEqual({ objectHundredths: 3662, ambientHundredths: 2510 });
  });

  it('signed values', () => {
    const f = encodeFrame({ objectHundredths: -1234, ambientHundredths: -5 });
    expect(decodeFrame(f)).toEqual({ objectHundredths: -1234, ambientHundredths: -5 });
  });

  it('rounds hundredths to tenths in integers, half away from zero', () => {
    expect(hundredthsToTenths(3662)).toBe(366);
    expect(hundredthsToTenths(3665)).toBe(367);
    expect(hundredthsToTenths(3725)).toBe(373);
    expect(hundredthsToTenths(3724)).toBe(372);
    expect(hundredthsToTenths(-15)).toBe(-2);
  });
});

describe('GyFrameParser', () => {
  it('finds a frame split byte by byte', () => {
    const p = new GyFrameParser();
    const out = [];
    for (const b of fromHex(EXAMPLE)) out.push(...p.push(Uint8Array.of(b)));
    expect(out).toEqual([{ objectHundredths: 3662, ambientHundredths: 2510 }]);
  });

  it('skips garbage (including a lone 5A) and resyncs', () => {
    const p = new GyFrameParser();
    const out = p.push(
      new Uint8Array([...fromHex('00 FF 5A 13 5A'), ...fromHex(EXAMPLE), ...fromHex(EXAMPLE)]),
    );
    expect(out).toHaveLength(2);
    expect(p.stats.droppedBytes).toBe(5);
    expect(p.stats.frames).toBe(2);
  });

  it('drops and counts a frame with a bad sum, keeps the next', () => {
    const p = new GyFrameParser();
    const bad = fromHex(EXAMPLE);
    bad[8] = 0x31;
    const out = p.push(new Uint8Array([...bad, ...fromHex(EXAMPLE)]));
    expect(out).toHaveLength(1);
    expect(p.stats.badFrames).toBeGreaterThanOrEqual(1);
  });

  it('finds a frame that begins inside a truncated one', () => {
    const p = new GyFrameParser();
    const truncated = fromHex(EXAMPLE).slice(0, 5);
    const out = p.push(new Uint8Array([...truncated, ...fromHex(EXAMPLE)]));
    expect(out).toEqual([{ objectHundredths: 3662, ambientHundredths: 2510 }]);
  });

  it('random noise never yields a frame whose sum is wrong and never throws', () => {
    const p = new GyFrameParser();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let k = 0; k < 2000; k++) {
      const chunk = Uint8Array.from({ length: 1 + (rnd() % 20) }, rnd);
      for (const r of p.push(chunk)) expect(decodeFrame(encodeFrame(r))).toEqual(r);
    }
  });
});
