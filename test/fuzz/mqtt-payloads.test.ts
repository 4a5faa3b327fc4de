/**
 * Every MQTT payload parser under generated input: raw bytes, arbitrary JSON, and valid messages
 * mutated field by field (wrong types, missing and unknown keys, huge and fractional numbers,
 * odd strings). Properties: parsing never throws; a failure always carries one of the stable
 * TG_MSG_* codes; whatever is accepted satisfies its schema again (nothing half-validated gets
 * through); oversized payloads are refused before they are parsed; a face event that parses
 * carries a temperature the rest of the chain can store (integer tenths in the record's range)
 * and a time the store accepts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFaceEvent, parseFaceStatus } from '../../protocols/face-mqtt/index.ts';
import { LineSplitter } from '../../protocols/gate/gpio-sim.ts';
import { ReadingRecord } from '../../protocols/gate/messages.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, parsePayload } from '../../protocols/parse.ts';
import { jsonish, mutate, mutation } from './mutate.ts';
import { FACE_EVENT, SAMPLES } from './samples.ts';
import { runs } from './settings.ts';

const CODES = ['TG_MSG_NOT_JSON', 'TG_MSG_SCHEMA', 'TG_MSG_TOO_LARGE', 'TG_MSG_BAD_TEMPERATURE'];
const Tenths = ReadingRecord.shape.temperatureTenths.unwrap();

/** Raw payloads: bytes, text, and near-JSON made of JSON's own punctuation. */
const rawPayload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(
      fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'e9', '-', 'null', 'true', '"v"', '\\u0000'),
      {
        maxLength: 60,
      },
    )
    .map((a) => a.join('')),
);

describe('parsePayload for every message schema', () => {
  for (const { name, schema, value } of SAMPLES) {
    describe(name, () => {
      it('the sample parses and round-trips', () => {
        const r = parsePayload(schema, JSON.stringify(value));
        expect(r.ok).toBe(true);
      });

      it('raw bytes and arbitrary JSON: never throws, fails with a stable code, accepts only valid values', () => {
        fc.assert(
          fc.property(
            fc.oneof(
              rawPayload,
              jsonish.map((j) => JSON.stringify(j)),
            ),
            (payload) => {
              const r = parsePayload(schema, payload);
              if (r.ok) expect(schema.safeParse(r.value).success).toBe(true);
              else expect(CODES).toContain(r.error.code);
            },
          ),
          runs(150),
        );
      });

      it('valid message mutated field by field: never throws, accepts only what re-validates', () => {
        fc.assert(
          fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
            const payload = JSON.stringify(mutate(value, ms));
            const r = parsePayload(schema, payload);
            if (r.ok) expect(schema.safeParse(JSON.parse(JSON.stringify(r.value))).success).toBe(true);
            else expect(CODES).toContain(r.error.code);
          }),
          runs(150),
        );
      });
    });
  }

  it('an oversized payload is refused by size whatever it contains', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2048 }), fc.uint8Array({ maxLength: 64 }), (extra, head) => {
        const big = new Uint8Array(DEFAULT_MAX_PAYLOAD_BYTES + 1 + extra);
        big.set(head);
        for (const { schema } of SAMPLES) {
          const r = parsePayload(schema, big);
          expect(r.ok ? undefined : r.error.code).toBe('TG_MSG_TOO_LARGE');
        }
      }),
      runs(50),
    );
  });
});

describe('face terminal payloads', () => {
  it('a face event that parses has a storable temperature and time', () => {
    const temperature = fc.oneof(
      fc.double({ noNaN: true }),
      fc.double({ min: -300, max: 400, noNaN: true }),
      fc.integer({ min: -1000, max: 1000 }),
    );
    fc.assert(
      fc.property(
        temperature,
        fc.constantFrom('celsius', 'fahrenheit', 'kelvin'),
        fc.array(mutation, { maxLength: 2 }),
        (t, unit, ms) => {
          const payload = JSON.stringify(
            mutate({ ...FACE_EVENT, currTemperature: t, thermometryUnit: unit }, ms),
          );
          const r = parseFaceEvent(payload);
          if (!r.ok) {
            expect(CODES).toContain(r.error.code);
            return;
          }
          const ev = r.value;
          if (ev.temperatureTenths !== undefined)
            expect(Tenths.safeParse(ev.temperatureTenths).success, `tenths ${ev.temperatureTenths}`).toBe(
              true,
            );
          expect(Number.isSafeInteger(ev.at) && ev.at >= 0, `at ${ev.at} from ${ev.dateTime}`).toBe(true);
        },
      ),
      runs(400),
    );
  });

  it('status: only online or offline, never a throw', () => {
    fc.assert(
      fc.property(rawPayload, (p) => {
        const r = parseFaceStatus(p);
        if (r.ok) expect(['online', 'offline']).toContain(r.value);
        else expect(r.error.code).toBe('TG_MSG_SCHEMA');
      }),
      runs(200),
    );
  });
});

describe('simulated GPIO line splitter', () => {
  it('gives back exactly the non-empty lines, however the stream is chunked, and stays bounded', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, '')),
          { maxLength: 10 },
        ),
        fc.array(fc.nat({ max: 400 }), { maxLength: 8 }),
        (lines, at) => {
          const text = lines.map((l) => `${l}\n`).join('');
          const s = new LineSplitter();
          const got: string[] = [];
          let from = 0;
          for (const p of [...at.filter((p) => p <= text.length)].sort((a, b) => a - b)) {
            got.push(...s.push(text.slice(from, p)));
            from = p;
          }
          got.push(...s.push(text.slice(from)));
          expect(got).toEqual(lines.filter((l) => l.length > 0));
        },
      ),
      runs(200),
    );
  });
});
