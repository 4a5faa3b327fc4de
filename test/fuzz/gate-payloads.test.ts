/**
 * The gate core fed generated MQTT payloads on every topic it subscribes to, with the stores'
 * own validation in the loop: a payload the parsers accept must never make the gate throw later
 * (a throw inside the MQTT callback leaves the QoS 1 message unacknowledged, so the broker would
 * redeliver it after every restart: one bad terminal message would keep a gate down). And a
 * payload never opens the turnstile unless it is a realtime event the policy passes.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../../edge/config/load.ts';
import { AccessList } from '../../edge/core/access-list.ts';
import { FakeClock } from '../doubles/edge/fake-clock.ts';
import { Gate } from '../../edge/core/gate.ts';
import { ArrayRecorder, CapturingBus, FakeActuator } from '../doubles/edge/gate-io.ts';
import { validateReading } from '../../edge/storage/validate.ts';
import type { NewReading } from '../../edge/storage/types.ts';
import { jsonish, mutate, mutation } from './mutate.ts';
import { FACE_EVENT, SAMPLES } from './samples.ts';
import { runs } from './settings.ts';

/** The in-memory recorder with the check the durable outbox applies to every reading. */
class ValidatingRecorder extends ArrayRecorder {
  override record(r: NewReading) {
    return super.record(validateReading(r));
  }
}

/**
 * One logger for every run: a pino instance per gate is never collected (about 1.4 KB each), so a
 * million runs took the worker past its heap and it died (the first `--fuzz --runs 1000000`).
 */
const silent = pino({ level: 'silent' });

function gateFor(source: 'terminal' | 'gate-thermometer') {
  const cfg = parseEdgeConfig({
    siteId: 'plant-1',
    gateId: 'gate-a',
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    thermometer: source === 'terminal' ? { protocol: 'none' } : { protocol: 'modbus-ir', port: '/dev/null' },
    terminal: { deviceId: 'term-1', temperatureSource: source },
    policy: { waitForMeasurementMs: 0 },
  });
  const clock = new FakeClock(Date.parse('2026-11-29T00:01:03Z'));
  const io = new FakeActuator();
  const recorder = new ValidatingRecorder();
  const accessList = new AccessList();
  accessList.apply({
    v: 1,
    version: 1,
    issuedAt: 0,
    entries: [
      {
        employeeNo: 'E10023',
        name: '张伟',
        department: 'QA',
        kind: 'employee',
        validFrom: null,
        validUntil: null,
      },
    ],
  });
  const gate = new Gate({
    cfg,
    clock,
    log: silent,
    io,
    recorder,
    bus: new CapturingBus(),
    accessList,
    thermometerState: () => 'online',
    requestMeasurement: () => {},
  });
  return { gate, io, recorder, clock };
}

/** The fields a terminal's firmware gets wrong most: its temperature, unit, clock and the realtime flag. */
const oddFaceEvent = fc
  .record({
    currTemperature: fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -500, max: 500 }),
    ),
    thermometryUnit: fc.constantFrom('celsius', 'fahrenheit', 'kelvin'),
    dateTime: fc.constantFrom(
      '2026-11-29T08:01:02.000+08:00',
      '0001-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999+14:00',
      '2026-11-29T08:01:02.000-12:00',
    ),
    isRealtime: fc.boolean(),
  })
  .map((o) => JSON.stringify({ ...FACE_EVENT, ...o }));

const payloadFor = (seed: unknown) =>
  fc.oneof(
    oddFaceEvent,
    fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => JSON.stringify(mutate(seed, ms))),
    jsonish.map((j) => JSON.stringify(j)),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  );

describe('the gate under generated payloads', () => {
  for (const source of ['terminal', 'gate-thermometer'] as const) {
    it(`face events (temperature from the ${source}): never throws, stores only valid readings, releases only a pass`, async () => {
      await fc.assert(
        fc.asyncProperty(
          payloadFor({ ...FACE_EVENT, dateTime: '2026-11-29T08:01:02.000+08:00' }),
          async (p) => {
            const { gate, io, recorder } = gateFor(source);
            if (source === 'gate-thermometer')
              gate.onMeasurement({
                at: Date.parse('2026-11-29T00:01:02.900Z'),
                sensor: 'modbus-ir',
                rawTenths: 366,
                ambientTenths: 251,
                sensorSeq: 1,
                valid: true,
                sensorFault: false,
                belowRange: false,
                aboveRange: false,
                distanceMm: 450,
              });
            const handled = await gate.onFaceEvent(p);
            const released = recorder.records.filter((r) => r.released);
            expect(io.releases.length).toBe(released.length);
            for (const r of released) {
              expect(r.decision).toBe('pass');
              expect(r.realtime).toBe(true);
            }
            if (handled === undefined)
              expect(recorder.records.filter((r) => r.terminalSerialNo !== null)).toEqual([]);
          },
        ),
        runs(300),
      );
    });
  }

  it('commands, isolation plans and access lists: never throw, never release on a malformed one', () => {
    const seeds = Object.fromEntries(SAMPLES.map((s) => [s.name, s.value]));
    fc.assert(
      fc.property(
        fc.constantFrom('GateCommand', 'IsolationPlan', 'AccessListSnapshot', 'AccessListChange'),
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (kind, _n, ms) => {
          const { gate, io } = gateFor('terminal');
          const payload = JSON.stringify(mutate(seeds[kind], ms));
          const handlers = new Map(gate.subscriptions());
          const topic = [...handlers.keys()].find((t) =>
            kind === 'GateCommand'
              ? t.endsWith('/command')
              : kind === 'IsolationPlan'
                ? t.endsWith('/isolation')
                : kind === 'AccessListSnapshot'
                  ? t.endsWith('/access-list')
                  : t.endsWith('/changes'),
          ) as string;
          (handlers.get(topic) as (p: Buffer) => void)(Buffer.from(payload));
          // Only a well-formed open-once command may open the gate.
          if (io.releases.length > 0) {
            const cmd = JSON.parse(payload) as { kind?: string; v?: number };
            expect(cmd.kind).toBe('open-once');
            expect(cmd.v).toBe(1);
          }
        },
      ),
      runs(300),
    );
  });
});
