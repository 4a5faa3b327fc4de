/**
 * A terminal's clock must not lock a gate (issue 17), and a broker-held event must still never
 * actuate. The gate on fakes: the link's state is driven by hand, the terminal's clock is off by
 * a fixed amount (its `dateTime` = gate time − offset).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../protocols/gate/messages.ts';
import { testGate } from '../../test/doubles/edge/gate-io.ts';

const HOUR = 3600_000;

function setup(terminalClockPath?: string) {
  const t = testGate({
    terminal: { temperatureSource: 'terminal' },
    ...(terminalClockPath ? { terminalClockPath } : {}),
  });
  let serial = 0;
  /** A person at the terminal now, by a terminal clock `offsetMs` behind the gate's. */
  const present = (offsetMs: number, ageMs = 0) =>
    t.gate.onFaceEvent(
      JSON.stringify({
        serialNo: ++serial,
        dateTime: new Date(t.clock.now() - offsetMs - ageMs).toISOString(),
        employeeNoString: `E${serial}`,
        similarity: 0.9,
        mask: 'yes',
        currTemperature: 36.5,
        thermometryUnit: 'celsius',
        remoteCheck: true,
        isRealtime: true,
      }),
    );
  const clockAlerts = () =>
    (t.bus.on('tg/s/gate/g/alert') as AlertMessage[]).filter((a) => a.kind === 'terminal-clock');
  /** The link came up long enough ago that nothing the broker held can still be arriving. */
  const steadyLink = () => {
    t.gate.onLinkUp();
    t.clock.advance(5000);
  };
  return { ...t, present, clockAlerts, steadyLink };
}

describe('terminal clock', () => {
  it.each([
    ['8 h behind (time zone set to UTC)', 8 * HOUR],
    ['8 h ahead', -8 * HOUR],
    ['5 s behind (no NTP)', 5000],
  ])('a terminal %s keeps its gate working, and the guard is told by how much', async (_name, offsetMs) => {
    const t = setup();
    t.steadyLink();
    for (let i = 0; i < 5; i++) {
      const r = await t.present(offsetMs);
      expect(r?.verdict).toMatchObject({ checkResult: 'success' });
      expect(r?.record).toMatchObject({ decision: 'pass', released: true, realtime: true });
      t.clock.advance(2000);
    }
    expect(t.gate.counters.staleEvents).toBe(0);
    const alerts = t.clockAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ active: true, severity: 'major' });
    expect(alerts[0]?.detail).toMatch(/^人脸终端时钟比闸机(慢|快).*请校准终端时间/);
    expect(t.gate.status(true).terminalClockOffsetMs).toBe(offsetMs);
  });

  it('a terminal in sync raises nothing', async () => {
    const t = setup();
    t.steadyLink();
    for (let i = 0; i < 5; i++) await t.present(30);
    expect(t.clockAlerts()).toEqual([]);
  });

  it('events the broker held while the gate was away never actuate, whatever the terminal’s clock', async () => {
    for (const offsetMs of [0, 8 * HOUR]) {
      const t = setup();
      t.steadyLink();
      for (let i = 0; i < 5; i++) await t.present(offsetMs); // the offset is learned
      t.gate.onLinkDown();
      t.clock.advance(6000);
      t.gate.onLinkUp();
      // The backlog: made 6 s and 4 s ago by the terminal's clock; arrives right after the reconnect.
      for (const age of [6000, 4000]) {
        const r = await t.present(offsetMs, age);
        expect(r?.record).toMatchObject({ decision: 'denied', reason: 'late', released: false });
        expect(r?.verdict).toMatchObject({ open: false });
      }
      // A person presenting now, right after the reconnect, is served.
      expect((await t.present(offsetMs))?.record).toMatchObject({ decision: 'pass', released: true });
      expect(t.io.releases).toHaveLength(6);
    }
  });

  it('a restarted gate judges the broker’s backlog with the offset it learned before', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-tclock-')), 'terminal-clock.json');
    const before = setup(path);
    before.steadyLink();
    for (let i = 0; i < 5; i++) await before.present(8 * HOUR);
    const after = setup(path);
    after.gate.onLinkUp();
    expect((await after.present(8 * HOUR, 5000))?.record).toMatchObject({ reason: 'late', released: false });
    expect((await after.present(8 * HOUR, 100))?.record).toMatchObject({ decision: 'pass', released: true });
  });

  it('a terminal whose clock was corrected while the gate was down: its backlog is not taken as fresh, and the new offset is learned', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-tclock-')), 'terminal-clock.json');
    const before = setup(path);
    before.steadyLink();
    for (let i = 0; i < 5; i++) await before.present(8 * HOUR);
    const after = setup(path);
    after.gate.onLinkUp();
    // Now in sync: by the old offset this 5 s old event looks 8 h younger than possible.
    expect((await after.present(0, 5000))?.record).toMatchObject({ reason: 'late', released: false });
    after.clock.advance(5000);
    for (let i = 0; i < 10; i++) expect((await after.present(0))?.record?.released).toBe(true);
    expect(Math.abs(after.gate.status(true).terminalClockOffsetMs ?? Number.NaN)).toBeLessThan(1000);
  });
});
