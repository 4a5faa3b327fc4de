/** Dashboard alerts → OPC UA condition actions, and gate commands: pure logic. */
import { describe, expect, it } from 'vitest';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import { ALERT_KINDS } from '../../protocols/gate/alert-kinds.ts';
import { AlertMirror, MIRRORED_KINDS } from '../../hub/opcua/alert-mirror.ts';
import { GATE_FIELDS } from '../../hub/opcua/site-model.ts';
import { CommandDispatcher } from '../../hub/opcua/commands.ts';

describe('which alerts SCADA sees (the registry, protocols/gate/alert-kinds.ts)', () => {
  it('mirrors the safety and device kinds a control room acts on, each about a gate variable', () => {
    // The intent (hub/README.md, OPC UA): fever and fire alarm, and the gate's devices failing.
    expect([...MIRRORED_KINDS].sort()).toEqual(
      ['fever', 'fire-alarm', 'gate-offline', 'sensor-fault', 'thermometer-offline'].sort(),
    );
    for (const k of MIRRORED_KINDS) expect(GATE_FIELDS).toContain(ALERT_KINDS[k].opcua.input);
  });
});

const state = (p: Partial<AlertState>): AlertState => ({
  v: 1,
  id: 'a1',
  siteId: 's',
  gateId: 'gate-a',
  kind: 'fever',
  severity: 'critical',
  state: 'active-unacknowledged',
  raisedAt: 1000,
  updatedAt: 1000,
  occurrences: 1,
  employeeNo: 'E1',
  name: '张伟',
  temperatureTenths: 384,
  roomId: null,
  stage: null,
  acknowledgedBy: null,
  acknowledgedAt: null,
  clearedAt: null,
  disposition: null,
  escalated: false,
  detail: 'fever',
  ...p,
});

describe('AlertMirror', () => {
  it('raise, acknowledged on the dashboard, cleared: one action each', () => {
    const m = new AlertMirror(() => 5000);
    const [raise] = m.onState(state({}));
    expect(raise).toMatchObject({
      op: 'raise',
      view: {
        alertId: 'a1',
        kind: 'fever',
        severity: 900,
        active: true,
        acked: false,
        message: 'Fever 38.4 °C at gate-a',
      },
    });
    expect(raise?.view.message).not.toContain('张伟');
    expect(m.onState(state({}))).toEqual([]); // the same state again
    const [ack] = m.onState(
      state({
        state: 'active-acknowledged',
        acknowledgedBy: 'guard1',
        acknowledgedAt: 2000,
        updatedAt: 2000,
      }),
    );
    expect(ack).toMatchObject({ op: 'ack', view: { acked: true, ackedBy: 'guard1', time: 2000 } });
    const [clear] = m.onState(state({ state: 'cleared', clearedAt: 3000, updatedAt: 3000 }));
    expect(clear).toMatchObject({ op: 'clear', view: { active: false, time: 3000 } });
    // A late duplicate of an older state cannot bring it back.
    expect(m.onState(state({}))).toEqual([]);
  });

  it('kinds the dashboard keeps to itself are not mirrored', () => {
    const m = new AlertMirror();
    expect(m.onState(state({ kind: 'mask-missing', severity: 'minor' }))).toEqual([]);
    expect(m.onState(state({ id: 'g', kind: 'gate-offline', severity: 'major' }))[0]?.view.message).toBe(
      'gate-a offline',
    );
  });

  it('an OPC UA acknowledgement holds until the dashboard confirms; older states do not undo it', () => {
    let now = 1500;
    const m = new AlertMirror(() => now);
    m.onState(state({}));
    expect(m.acknowledgeLocally('a1', 'opcua:op1')).toMatchObject({ acked: true, ackedBy: 'opcua:op1' });
    expect(m.acknowledgeLocally('a1', 'opcua:op1')).toBeUndefined();
    // A state published before the dashboard saw our request (a second occurrence, say).
    expect(m.onState(state({ occurrences: 2, updatedAt: 1400 }))).toEqual([]);
    expect(m.get('a1')?.acked).toBe(true);
    // The dashboard agrees: nothing more to show.
    now = 1600;
    expect(
      m.onState(state({ state: 'active-acknowledged', acknowledgedBy: 'opcua:op1', updatedAt: 1550 })),
    ).toEqual([]);
    // Later, the dashboard makes it unacknowledged again (a new occurrence): raised anew.
    expect(m.onState(state({ occurrences: 3, updatedAt: 1700 }))[0]).toMatchObject({
      op: 'raise',
      view: { acked: false, message: 'Fever 38.4 °C at gate-a (3 times)' },
    });
  });

  it('the retained list: new ones raised, missing ones cleared', () => {
    const m = new AlertMirror(() => 0);
    m.onState(state({ id: 'old', updatedAt: 100 }));
    const actions = m.onList({
      v: 1,
      siteId: 's',
      at: 200,
      alerts: [state({ id: 'new', kind: 'fire-alarm', updatedAt: 150 })],
    });
    expect(actions.map((a) => [a.op, a.view.alertId])).toEqual([
      ['raise', 'new'],
      ['clear', 'old'],
    ]);
  });
});

describe('CommandDispatcher', () => {
  it('publishes a GateCommand and resolves on the ack of the same gate only', async () => {
    const sent: Array<{ topic: string; payload: string }> = [];
    const d = new CommandDispatcher({
      siteId: 's',
      timeoutMs: 1000,
      publish: async (topic, payload) => {
        sent.push({ topic, payload });
      },
    });
    const p = d.send('gate-a', 'open-once', 'visitor', 'opcua:op1');
    await Promise.resolve();
    const cmd = JSON.parse(sent[0]?.payload as string);
    expect(sent[0]?.topic).toBe('tg/s/gate/gate-a/command');
    expect(cmd).toMatchObject({ v: 1, kind: 'open-once', reason: 'visitor', by: 'opcua:op1' });
    d.onAck('gate-b', { v: 1, id: cmd.id, ok: true, error: null, at: 1 }); // another gate cannot answer
    d.onAck('gate-a', { v: 1, id: cmd.id, ok: false, error: 'jammed', at: 1 });
    expect(await p).toMatchObject({ ok: false, why: 'failed', error: 'jammed' });
  });

  it('times out without an ack', async () => {
    const d = new CommandDispatcher({ siteId: 's', timeoutMs: 100, publish: async () => undefined });
    expect(await d.send('gate-a', 'lockdown', '', 'opcua:op1')).toMatchObject({ ok: false, why: 'timeout' });
  });
});
