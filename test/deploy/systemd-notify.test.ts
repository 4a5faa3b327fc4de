/**
 * The edge's systemd notify support, with a stand-in for `systemd-notify` that records its
 * arguments (no systemd here): nothing without NOTIFY_SOCKET; READY, watchdog pings and STOPPING
 * with it; a missing helper is logged once with a code and does not hurt the gate.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSystemdNotify, SYSTEMD_NOTIFY_CODE } from '../../edge/systemd-notify.ts';
import { waitFor } from '../harness/wait.ts';
import { captureLogger } from './log-capture.ts';

function standIn(): { command: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tg-sdnotify-'));
  const out = join(dir, 'calls');
  const command = join(dir, 'systemd-notify');
  writeFileSync(command, `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> "${out}"\n`);
  chmodSync(command, 0o755);
  return { command, calls: () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []) };
}

describe('systemd notify', () => {
  it('is off without NOTIFY_SOCKET', () => {
    const s = standIn();
    const { log } = captureLogger();
    expect(startSystemdNotify({ log, env: {}, command: s.command })).toBeUndefined();
  });

  it('sends READY=1, WATCHDOG=1 every half period, STOPPING=1 on stop', async () => {
    const s = standIn();
    const { log } = captureLogger();
    const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '200000', PATH: process.env.PATH };
    const n = startSystemdNotify({ log, env, command: s.command });
    expect(n).toBeDefined();
    await waitFor(() => s.calls().filter((c) => c.endsWith('WATCHDOG=1')).length >= 2, {
      what: 'two watchdog pings',
      timeoutMs: 10_000,
    });
    n?.stop();
    await waitFor(() => s.calls().some((c) => c.endsWith('STOPPING=1')), { what: 'STOPPING=1' });
    const calls = s.calls();
    expect(calls[0]).toBe('/run/systemd/notify READY=1');
    expect(calls.every((c) => c.startsWith('/run/systemd/notify '))).toBe(true);
    const pings = calls.filter((c) => c.endsWith('WATCHDOG=1')).length;
    await new Promise((r) => setTimeout(r, 300));
    // No pings after stop: a stopped gate must let the watchdog fire.
    expect(s.calls().filter((c) => c.endsWith('WATCHDOG=1')).length).toBe(pings);
  });

  it('without WATCHDOG_USEC only READY and STOPPING', async () => {
    const s = standIn();
    const { log } = captureLogger();
    const n = startSystemdNotify({ log, env: { NOTIFY_SOCKET: '@sock' }, command: s.command });
    await waitFor(() => s.calls().length === 1, { what: 'READY=1' });
    n?.stop();
    await waitFor(() => s.calls().length === 2, { what: 'STOPPING=1' });
    expect(s.calls()).toEqual(['@sock READY=1', '@sock STOPPING=1']);
    expect(n?.pings).toBe(0);
  });

  it('a missing systemd-notify is logged once with TG_EDGE_SYSTEMD_NOTIFY', async () => {
    const { log, lines } = captureLogger();
    const n = startSystemdNotify({
      log,
      env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '100000' },
      command: '/nonexistent/systemd-notify',
    });
    await waitFor(() => (n?.pings ?? 0) >= 3, { what: 'three pings attempted' });
    n?.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.filter((l) => l.code === SYSTEMD_NOTIFY_CODE)).toHaveLength(1);
  });
});
