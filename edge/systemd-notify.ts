/**
 * systemd's notify protocol for a gate run as a `Type=notify` service with `WatchdogSec=`
 * (deploy/systemd/thermogate-edge.service): READY=1 once the gate runs, WATCHDOG=1 every half
 * watchdog period while the event loop turns, STOPPING=1 on a clean stop. A gate whose process
 * hangs (the loop blocked, a deadlock in a native module) is then restarted by systemd.
 *
 * Node cannot send on a unix datagram socket ($NOTIFY_SOCKET), so each message goes through
 * `systemd-notify`; the unit sets `NotifyAccess=all` because that helper is a child process (it
 * waits until systemd has read the message, so the child exiting first is no race). Off when
 * NOTIFY_SOCKET is unset: anywhere but under systemd this does nothing.
 */
import { execFile } from 'node:child_process';
import type { Logger } from './log.ts';

export const SYSTEMD_NOTIFY_CODE = 'TG_EDGE_SYSTEMD_NOTIFY';

export interface SystemdNotifyOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** The helper to run (tests use a stand-in); default `systemd-notify` from PATH. */
  command?: string;
}

export interface SystemdNotifier {
  /** Watchdog pings sent (attempted). */
  readonly pings: number;
  stop(): void;
}

export function startSystemdNotify(o: SystemdNotifyOptions): SystemdNotifier | undefined {
  const env = o.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return undefined;
  const command = o.command ?? 'systemd-notify';
  let failed = false;
  const send = (message: string) =>
    execFile(command, [message], { env, timeout: 10_000 }, (err) => {
      if (!err) return;
      // Once is enough: if it fails, it fails every time, and the watchdog will say the rest.
      if (!failed)
        o.log.warn({ code: SYSTEMD_NOTIFY_CODE, message, err: err.message }, 'systemd notify failed');
      failed = true;
    });

  send('READY=1');
  // WATCHDOG_PID is not checked: with NotifyAccess=all a ping is valid from any process of the
  // service, and a gate started through a wrapper (npm, tsx) must still keep its watchdog fed.
  const usec = Number(env.WATCHDOG_USEC);
  let pings = 0;
  const timer =
    Number.isFinite(usec) && usec > 0
      ? setInterval(
          () => {
            pings++;
            send('WATCHDOG=1');
          },
          Math.max(50, Math.floor(usec / 2000)),
        )
      : undefined;
  timer?.unref();
  o.log.info({ watchdogMs: timer ? Math.floor(usec / 1000) : null }, 'systemd notify on');
  return {
    get pings() {
      return pings;
    },
    stop() {
      if (timer) clearInterval(timer);
      send('STOPPING=1');
    },
  };
}
