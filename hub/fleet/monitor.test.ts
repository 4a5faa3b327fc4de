import { describe, expect, it } from 'vitest';
import { Counters, type Heartbeat } from '../../protocols/gate/messages.ts';
import { FleetMonitor } from './monitor.ts';

const monitor = () =>
  new FleetMonitor({
    siteId: 's',
    heartbeatTimeoutMs: 35_000,
    isConnected: () => true,
    hubInfo: () => ({ startedAt: 0, softwareVersion: 't', connectedClients: 0 }),
    accessList: () => null,
    security: () => ({}) as never,
  });

const beat = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  v: 1,
  siteId: 's',
  gateId: 'g1',
  at: 0,
  uptimeS: 10,
  thermometer: 'online',
  gateState: 'locked',
  // Every counter the protocol has, at 0 (the fields move; the test is about which ones matter).
  counters: {
    ...(Object.fromEntries(Object.keys(Counters.shape).map((k) => [k, 0])) as Heartbeat['counters']),
    passed: 1,
  },
  outbox: { depth: 0, oldestAgeS: null },
  accessListVersion: 3,
  ...over,
});

describe('FleetMonitor: which changes are a device state (published within a second) and which only counters', () => {
  // The intended split, written out: what a guard's board must show at once, what can wait.
  const cases: Array<[string, (m: FleetMonitor) => void, boolean]> = [
    [
      'a heartbeat with only counters and uptime moved',
      (m) => m.onHeartbeat(beat({ uptimeS: 20, counters: { ...beat().counters, passed: 9 } }), 2),
      false,
    ],
    [
      'a heartbeat with a growing outbox',
      (m) => m.onHeartbeat(beat({ outbox: { depth: 50, oldestAgeS: 3 } }), 2),
      false,
    ],
    ['a passage at an online gate', (m) => m.onDecision('g1', 2), false],
    ['the thermometer failing', (m) => m.onHeartbeat(beat({ thermometer: 'fault' }), 2), true],
    ['the gate locked down', (m) => m.onHeartbeat(beat({ gateState: 'lockdown' }), 2), true],
    ['a new access list version', (m) => m.onHeartbeat(beat({ accessListVersion: 4 }), 2), true],
    ['the terminal going offline', (m) => m.onTerminalStatus('t1', false, 2), true],
    ['the terminal saying online again while online', (m) => m.onTerminalStatus('t1', true, 2), false],
  ];
  for (const [what, act, material] of cases)
    it(`${what}: ${material ? 'a state change' : 'counters only'}`, () => {
      const m = monitor();
      m.onHeartbeat(beat(), 1);
      m.onTerminalStatus('t1', true, 1);
      const seen: boolean[] = [];
      m.on('change', (x) => seen.push(x));
      act(m);
      expect(seen).toEqual([material]);
    });

  it('a heartbeat or a passage of a gate that was offline brings it online: a state change', () => {
    for (const act of [
      (m: FleetMonitor) => m.onHeartbeat(beat(), 50_000),
      (m: FleetMonitor) => m.onDecision('g1', 50_000),
    ]) {
      const m = monitor();
      m.onHeartbeat(beat(), 1);
      m.tick(40_000); // silent past the timeout: offline
      const seen: boolean[] = [];
      m.on('change', (x) => seen.push(x));
      act(m);
      expect(m.gateState('g1')?.online).toBe(true);
      expect(seen).toEqual([true]);
    }
  });
});
