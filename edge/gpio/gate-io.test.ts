import { beforeEach, describe, expect, it } from 'vitest';
import type { GateActuator } from '../core/gate.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { GateIo, type GateIoEvents } from './gate-io.ts';
import { MemoryBackend } from '../../test/doubles/edge/gpio-memory.ts';

function rig(init: Partial<MemoryBackend['inputs']> = {}) {
  const clock = new FakeClock();
  const backend = new MemoryBackend();
  Object.assign(backend.inputs, init);
  const io = new GateIo({
    backend,
    clock,
    openMs: 3000,
    lampMs: 2000,
    denyBuzzerMs: 500,
    flagBuzzerMs: 1500,
  });
  const events: string[] = [];
  const tailgating: GateIoEvents['tailgating'][] = [];
  io.on('state', (s) => events.push(`state:${s}`));
  io.on('fireAlarm', (f) => events.push(`fire:${f.active}`));
  io.on('tailgating', (t) => tailgating.push(t));
  /** A clean passage pulse: high for 200 ms. */
  const walk = () => {
    backend.set('passage', 1);
    clock.advance(200);
    backend.set('passage', 0);
    clock.advance(50);
  };
  return { clock, backend, io, events, tailgating, walk };
}

describe('GateIo', () => {
  let r: ReturnType<typeof rig>;
  beforeEach(() => {
    r = rig();
  });

  it('fits the core GateActuator interface', () => {
    const actuator: GateActuator = r.io;
    expect(actuator.state).toBe('locked');
    expect(actuator.fireAlarm).toBe(false);
  });

  it('release pulses the line high for openMs, then low', () => {
    expect(r.io.release()).toBe(true);
    expect(r.backend.outputs.release).toBe(1);
    expect(r.io.state).toBe('released');
    r.clock.advance(2999);
    expect(r.backend.outputs.release).toBe(1);
    r.clock.advance(1);
    expect(r.backend.outputs.release).toBe(0);
    expect(r.events).toEqual(['state:released', 'state:locked']);
  });

  it('a release while open extends the pulse, never shortens it', () => {
    r.io.release(3000);
    r.clock.advance(2000);
    r.io.release(3000);
    r.clock.advance(2000);
    expect(r.backend.outputs.release).toBe(1);
    r.io.release(500); // shorter than what is left: no effect on the end
    r.clock.advance(999);
    expect(r.backend.outputs.release).toBe(1);
    r.clock.advance(1);
    expect(r.backend.outputs.release).toBe(0);
  });

  it('lamps and buzzer: pass is green, deny and flag are red with the buzzer for their own time', () => {
    r.io.showPass();
    expect(r.backend.outputs).toMatchObject({ green: 1, red: 0, buzzer: 0 });
    r.clock.advance(2000);
    expect(r.backend.outputs.green).toBe(0);
    r.io.showDeny();
    expect(r.backend.outputs).toMatchObject({ green: 0, red: 1, buzzer: 1 });
    r.clock.advance(500);
    expect(r.backend.outputs).toMatchObject({ red: 1, buzzer: 0 });
    r.clock.advance(1500);
    expect(r.backend.outputs.red).toBe(0);
    r.io.signal('flag');
    r.clock.advance(1499);
    expect(r.backend.outputs.buzzer).toBe(1);
    r.clock.advance(1);
    expect(r.backend.outputs.buzzer).toBe(0);
  });

  it('a new signal replaces the previous one', () => {
    r.io.showDeny();
    r.clock.advance(100);
    r.io.showPass();
    expect(r.backend.outputs).toMatchObject({ green: 1, red: 0, buzzer: 0 });
    r.clock.advance(1999);
    expect(r.backend.outputs.green).toBe(1);
  });

  it('fire alarm holds every output released whatever else is called, and restores when cleared', () => {
    r.io.showDeny();
    r.backend.set('fireAlarm', 1);
    r.clock.advance(20);
    expect(r.io.state).toBe('fire');
    expect(r.io.fireAlarm).toBe(true);
    expect(r.backend.outputs).toEqual({ release: 1, green: 1, red: 0, buzzer: 0 });
    // Nothing else may lock or signal the gate now.
    r.io.release(100);
    r.io.lockdown(true);
    r.io.showDeny();
    r.clock.advance(60_000);
    expect(r.backend.outputs).toEqual({ release: 1, green: 1, red: 0, buzzer: 0 });
    expect(r.io.state).toBe('fire');
    r.backend.set('fireAlarm', 0);
    r.clock.advance(20);
    expect(r.backend.outputs.release).toBe(0);
    expect(r.io.state).toBe('lockdown'); // the lockdown asked for during the fire applies now
    expect(r.events).toEqual(['fire:true', 'state:fire', 'fire:false', 'state:lockdown']);
  });

  it('a fire alarm already active at start holds the gate open at once', () => {
    const q = rig({ fireAlarm: 1 });
    expect(q.io.state).toBe('fire');
    expect(q.backend.outputs.release).toBe(1);
  });

  it('a bouncing fire contact does not flap the release line', () => {
    for (let i = 0; i < 5; i++) {
      r.backend.set('fireAlarm', 1);
      r.clock.advance(3);
      r.backend.set('fireAlarm', 0);
      r.clock.advance(3);
    }
    r.backend.set('fireAlarm', 1);
    r.clock.advance(20);
    expect(r.backend.log.filter((l) => l.startsWith('release'))).toEqual(['release=0', 'release=1']);
  });

  it('lockdown refuses releases and cuts an open pulse', () => {
    r.io.release();
    r.io.lockdown(true);
    expect(r.backend.outputs.release).toBe(0);
    expect(r.io.state).toBe('lockdown');
    expect(r.io.release()).toBe(false);
    expect(r.backend.outputs.release).toBe(0);
    expect(r.io.counters.refused).toBe(1);
    r.io.setLockdown(false);
    expect(r.io.state).toBe('locked');
    expect(r.io.release()).toBe(true);
  });

  it('the fire alarm wins over a lockdown', () => {
    r.io.lockdown(true);
    r.backend.set('fireAlarm', 1);
    r.clock.advance(20);
    expect(r.backend.outputs.release).toBe(1);
    expect(r.io.state).toBe('fire');
  });

  it('one passage per release is fine; a second one is tailgating', () => {
    const passages: boolean[] = [];
    r.io.on('passage', (p) => passages.push(p.authorized));
    r.io.release();
    r.walk();
    expect(r.tailgating).toEqual([]);
    r.walk();
    expect(passages).toEqual([true, false]);
    expect(r.tailgating).toMatchObject([{ reason: 'extra-passage', passagesThisRelease: 2 }]);
    expect(r.io.counters).toMatchObject({ passages: 2, tailgating: 1 });
  });

  it('two releases in a row allow two passages; a slow walker just after the pulse still counts', () => {
    r.io.release();
    r.clock.advance(1000);
    r.io.release();
    r.walk();
    r.clock.advance(3700); // pulse ended 250 ms ago: within the grace period
    r.walk();
    expect(r.tailgating).toEqual([]);
  });

  it('a passage with no release is tailgating', () => {
    r.walk();
    expect(r.tailgating).toMatchObject([{ reason: 'no-release', passagesThisRelease: 0 }]);
    r.io.release();
    r.clock.advance(10_000); // nobody used it
    r.walk();
    expect(r.tailgating).toHaveLength(2);
    expect(r.tailgating[1]?.reason).toBe('no-release');
  });

  it('allowPassage() counts a passage the terminal opened for, without driving release', () => {
    r.io.allowPassage();
    expect(r.backend.outputs.release).toBe(0);
    r.walk();
    expect(r.tailgating).toEqual([]);
  });

  it('nobody is tailgating during a fire alarm', () => {
    r.backend.set('fireAlarm', 1);
    r.clock.advance(20);
    r.walk();
    r.walk();
    expect(r.tailgating).toEqual([]);
  });

  it('debounces the passage input: contact bounce is one passage, a 5 ms glitch is none', () => {
    const passages: number[] = [];
    r.io.on('passage', (p) => passages.push(p.at));
    r.io.release();
    for (const v of [1, 0, 1, 0, 1] as const) {
      r.backend.set('passage', v);
      r.clock.advance(2);
    }
    r.clock.advance(100);
    r.backend.set('passage', 0);
    r.clock.advance(50);
    expect(passages).toHaveLength(1);
    r.backend.set('passage', 1);
    r.clock.advance(5);
    r.backend.set('passage', 0);
    r.clock.advance(50);
    expect(passages).toHaveLength(1);
  });

  it('a failing backend write is reported as an error event, never thrown into the decision path', () => {
    const errors: Error[] = [];
    r.io.on('error', (e) => errors.push(e));
    r.backend.failWrites = true;
    expect(() => r.io.release()).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('close() turns lamps off, locks (except in a fire) and closes the backend', async () => {
    r.io.release();
    r.io.showPass();
    await r.io.close();
    expect(r.backend.outputs).toEqual({ release: 0, green: 0, red: 0, buzzer: 0 });
    expect(r.backend.closed).toBe(true);
    const q = rig({ fireAlarm: 1 });
    await q.io.close();
    expect(q.backend.outputs.release).toBe(1);
  });
});
