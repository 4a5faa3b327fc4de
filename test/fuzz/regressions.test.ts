/**
 * Inputs the fuzz properties found, written out byte for byte so they stay fixed whatever the
 * generators do next. Each one failed before the fix named with it.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../../edge/config/load.ts';
import { AccessList } from '../../edge/core/access-list.ts';
import { FakeClock } from '../doubles/edge/fake-clock.ts';
import { Gate } from '../../edge/core/gate.ts';
import { ArrayRecorder, CapturingBus, FakeActuator } from '../doubles/edge/gate-io.ts';
import { validateReading } from '../../edge/storage/validate.ts';
import type { NewReading } from '../../edge/storage/types.ts';
import { parseFaceEvent } from '../../protocols/face-mqtt/index.ts';
import { GyFrameParser } from '../../protocols/gy-mlx90615/index.ts';
import { fromHex, toHex } from '../../protocols/hex.ts';
import { encodeRequest, pollRequest, RtuStreamDecoder } from '../../protocols/modbus-ir/index.ts';
import { FACE_EVENT } from './samples.ts';

describe('GY-MLX90615 parser', () => {
  it('a frame cut after six bytes does not swallow the frame behind it with a lucky sum', () => {
    // 5A 5A 45 04 B3 E1 | 5A 5A 45 ...: the first nine bytes sum to 0x45, which "checks", but the
    // real frame's header starts at offset 6. Before the fix: one reading of -194.87 °C, the 0.00 °C lost.
    const p = new GyFrameParser();
    const out = p.push(fromHex('5A 5A 45 04 B3 E1 5A 5A 45 04 00 00 00 00 FD'));
    expect(out).toEqual([{ objectHundredths: 0, ambientHundredths: 0 }]);
    expect(p.stats).toMatchObject({ frames: 1, droppedBytes: 6 });
  });

  it('the same, delivered byte by byte', () => {
    const p = new GyFrameParser();
    const out = [...fromHex('5A 5A 45 04 B3 E1 5A 5A 45 04 00 00 00 00 FD')].flatMap((b) =>
      p.push(Uint8Array.of(b)),
    );
    expect(out).toEqual([{ objectHundredths: 0, ambientHundredths: 0 }]);
  });
});

describe('Modbus RTU framer', () => {
  it('response: noise whose byte count claims 134 bytes does not hold back the answers behind it', () => {
    // 00 | 03 81 00 E1 90 | 01 03 02 00 00 B8 44: "00 03 81" reads as function 3 with 129 data
    // bytes. Before the fix both answers waited for 134 bytes (in practice: lost to the timeout).
    const d = new RtuStreamDecoder('response');
    const frames = d.push(fromHex('00 03 81 00 E1 90 01 03 02 00 00 B8 44'));
    expect(frames.map(toHex)).toEqual(['03 81 00 E1 90', '01 03 02 00 00 B8 44']);
    expect(d.stats.droppedBytes).toBe(1);
  });

  it('request: 256 KB of "unknown function" noise in one chunk is framed with bounded work per byte', () => {
    // 01 41 01 41 ...: every position starts an unknown-function candidate. Before the fix each one
    // cost a CRC per length (quadratic in 256) plus a scan to the end of the chunk (quadratic in
    // the chunk): minutes for this input. Now it is linear; the test would time out otherwise.
    const noise = new Uint8Array(256 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = i % 2 ? 0x41 : 0x01;
    const poll = encodeRequest(pollRequest(1));
    const d = new RtuStreamDecoder('request');
    const frames = [...d.push(noise), ...d.push(poll), ...d.push(poll)];
    expect(frames.map(toHex)).toContain(toHex(poll));
    expect(d.pending).toBeLessThan(260);
  });
});

describe('face events a terminal must not be able to poison a gate with', () => {
  class ValidatingRecorder extends ArrayRecorder {
    override record(r: NewReading) {
      return super.record(validateReading(r));
    }
  }
  const gate = () =>
    new Gate({
      cfg: parseEdgeConfig({
        siteId: 's',
        gateId: 'g',
        mqtt: { url: 'mqtt://127.0.0.1:1883' },
        thermometer: { protocol: 'none' },
        terminal: { deviceId: 't', temperatureSource: 'terminal' },
      }),
      clock: new FakeClock(Date.parse('2026-11-29T00:01:03Z')),
      log: pino({ level: 'silent' }),
      io: new FakeActuator(),
      recorder: new ValidatingRecorder(),
      bus: new CapturingBus(),
      accessList: new AccessList(),
      thermometerState: () => 'online',
      requestMeasurement: () => {},
    });

  // Before the fix these parsed, then the reading failed validation inside the MQTT callback: an
  // unhandled rejection that ends the edge process, and the broker redelivers the same message.
  for (const [what, patch, code] of [
    ['201 °C in an offline record', { currTemperature: 201, isRealtime: false }, 'TG_MSG_BAD_TEMPERATURE'],
    ['-101 °C', { currTemperature: -101 }, 'TG_MSG_BAD_TEMPERATURE'],
    ['1e300 °F', { currTemperature: 1e300, thermometryUnit: 'fahrenheit' }, 'TG_MSG_BAD_TEMPERATURE'],
    ['a dateTime in year 1', { dateTime: '0001-01-01T00:00:00Z', isRealtime: false }, 'TG_MSG_SCHEMA'],
  ] as const) {
    it(`${what}: refused with ${code}, and the gate goes on`, async () => {
      const payload = JSON.stringify({ ...FACE_EVENT, ...patch });
      const r = parseFaceEvent(payload);
      expect(r.ok ? 'accepted' : r.error.code).toBe(code);
      const g = gate();
      await expect(g.onFaceEvent(payload)).resolves.toBeUndefined();
      expect(g.counters.badPayloads).toBe(1);
      await expect(g.onFaceEvent(JSON.stringify({ ...FACE_EVENT, serialNo: 42 }))).resolves.toMatchObject({
        kind: 'decided',
      });
    });
  }
});
