import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createOnoffBackend, type GpioClass, type GpioLike, OnoffBackend } from './onoff-backend.ts';
import type { Level } from './types.ts';

const LINES = { release: 17, green: 27, red: 22, buzzer: 23, passage: 24, fireAlarm: 25 };

/** Stands in for onoff's Gpio: records how each line was set up and lets a test fire edges. */
function fakeGpioClass(opts: { accessible?: boolean; failOn?: number } = {}) {
  const made = new Map<number, FakeGpio>();
  class FakeGpio implements GpioLike {
    static accessible = opts.accessible ?? true;
    value: Level = 0;
    unexported = false;
    watchers: Array<(err: Error | null | undefined, value: Level) => void> = [];
    constructor(
      readonly gpio: number,
      readonly direction: string,
      readonly edge?: string,
      readonly options?: { debounceTimeout?: number },
    ) {
      if (gpio === opts.failOn) throw new Error('EBUSY: resource busy');
      made.set(gpio, this);
    }
    readSync(): Level {
      return this.value;
    }
    writeSync(v: Level): void {
      this.value = v;
    }
    watch(cb: (err: Error | null | undefined, value: Level) => void): void {
      this.watchers.push(cb);
    }
    unwatchAll(): void {
      this.watchers = [];
    }
    unexport(): void {
      this.unexported = true;
    }
    /** The kernel reports an edge. */
    edgeTo(v: Level): void {
      this.value = v;
      for (const w of this.watchers) w(null, v);
    }
  }
  return { Gpio: FakeGpio as GpioClass, made };
}

describe('OnoffBackend', () => {
  it('sets outputs up low and inputs on both edges with a 20 ms debounce', () => {
    const { Gpio, made } = fakeGpioClass();
    const b = new OnoffBackend({ lines: LINES, Gpio });
    expect(b.name).toBe('onoff');
    for (const n of [17, 27, 22, 23]) expect(made.get(n)?.direction).toBe('low');
    for (const n of [24, 25]) {
      expect(made.get(n)).toMatchObject({ direction: 'in', edge: 'both', options: { debounceTimeout: 20 } });
    }
  });

  it('writes and reads lines by name, reports input edges', async () => {
    const { Gpio, made } = fakeGpioClass();
    const b = new OnoffBackend({ lines: LINES, Gpio });
    const edges: string[] = [];
    b.onInput((line, v) => edges.push(`${line}=${v}`));
    b.write('release', 1);
    expect(made.get(17)?.value).toBe(1);
    made.get(25)?.edgeTo(1);
    made.get(24)?.edgeTo(1);
    expect(edges).toEqual(['fireAlarm=1', 'passage=1']);
    expect(b.read('fireAlarm')).toBe(1);
    await b.close();
    expect([...made.values()].every((g) => g.unexported)).toBe(true);
    expect(() => b.write('green', 1)).toThrow(expect.objectContaining({ code: 'TG_EDGE_GPIO_WRITE_FAILED' }));
  });

  it('says GPIO is unavailable and suggests the simulated backend when sysfs is not accessible', () => {
    const { Gpio, made } = fakeGpioClass({ accessible: false });
    expect(() => new OnoffBackend({ lines: LINES, Gpio })).toThrow(
      expect.objectContaining({
        code: 'TG_EDGE_GPIO_UNAVAILABLE',
        message: expect.stringMatching(/backend: sim/),
      }),
    );
    expect(made.size).toBe(0);
  });

  // Only where the machine has no sysfs GPIO (CI, a developer's PC): on a Raspberry Pi the real
  // onoff would claim the lines, which is right there, not a failure of this test.
  it.skipIf(existsSync('/sys/class/gpio'))(
    'where the machine has no /sys/class/gpio, the real onoff is refused the same way',
    async () => {
      await expect(createOnoffBackend({ lines: LINES })).rejects.toMatchObject({
        code: 'TG_EDGE_GPIO_UNAVAILABLE',
      });
    },
  );

  it('refuses one line number used for two roles', () => {
    const { Gpio } = fakeGpioClass();
    expect(() => new OnoffBackend({ lines: { ...LINES, buzzer: 17 }, Gpio })).toThrow(
      expect.objectContaining({
        code: 'TG_EDGE_GPIO_BAD_LINES',
        message: expect.stringMatching(/buzzer.*release|release.*buzzer/),
      }),
    );
  });

  it('a line that cannot be set up fails with its name and frees the lines already claimed', () => {
    const { Gpio, made } = fakeGpioClass({ failOn: 24 });
    expect(() => new OnoffBackend({ lines: LINES, Gpio })).toThrow(
      expect.objectContaining({
        code: 'TG_EDGE_GPIO_LINE_FAILED',
        message: expect.stringMatching(/passage on line 24: EBUSY/),
      }),
    );
    expect(made.size).toBe(4);
    expect([...made.values()].every((g) => g.unexported)).toBe(true);
  });
});
