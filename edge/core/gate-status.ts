/** The gate's retained status and periodic heartbeat: what the fleet view and the guard's tiles show. */
import {
  type Counters,
  type GateStatus,
  type Heartbeat,
  SCHEMA_VERSION,
  type SiteListName,
} from '../../protocols/gate/messages.ts';
import type { Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { ReadingRecorder } from '../storage/types.ts';
import type { ThermometerLinkState } from '../thermometer/types.ts';
import type { AccessList } from './access-list.ts';
import type { GateActuator, TerminalStatusInfo } from './gate-io-types.ts';
import type { SiteHolds } from './holds.ts';
import type { SitePolicyCopy } from './site-policy.ts';

export interface StatusDeps {
  cfg: EdgeConfig;
  clock: Clock;
  io: GateActuator;
  recorder: ReadingRecorder;
  accessList: AccessList;
  holds: SiteHolds;
  policy: SitePolicyCopy;
  /** The site lists whose last snapshot or change the gate refused (site-lists.ts). */
  listsRejected: () => SiteListName[];
  thermometerState: () => ThermometerLinkState | 'none';
  softwareVersion?: string;
  configVersion?: string;
  terminalClockOffsetMs: number | null;
  terminalStatus?: (() => TerminalStatusInfo | null) | undefined;
}

export function buildStatus(d: StatusDeps, online: boolean): GateStatus {
  return {
    v: SCHEMA_VERSION,
    siteId: d.cfg.siteId,
    gateId: d.cfg.gateId,
    online,
    at: d.clock.now(),
    thermometer: d.thermometerState(),
    gateState: d.io.state,
    softwareVersion: d.softwareVersion ?? '0.0.0',
    configVersion: d.configVersion ?? '',
    accessListVersion: d.accessList.version,
    policyVersion: d.policy.version,
    policyOverrides: d.policy.overriddenKeys,
    holdsVersion: d.holds.version,
    listsRejected: d.listsRejected(),
    terminalClockOffsetMs: d.terminalClockOffsetMs === null ? null : Math.round(d.terminalClockOffsetMs),
    ...terminalPart(d),
  };
}

function terminalPart(d: StatusDeps): Pick<GateStatus, 'terminal'> {
  const t = d.terminalStatus?.() ?? null;
  return t ? { terminal: t } : {};
}

export function buildHeartbeat(d: StatusDeps, startedAt: number, counters: Counters): Heartbeat {
  const o = d.recorder.stats();
  return {
    v: SCHEMA_VERSION,
    siteId: d.cfg.siteId,
    gateId: d.cfg.gateId,
    at: d.clock.now(),
    uptimeS: (d.clock.now() - startedAt) / 1000,
    thermometer: d.thermometerState(),
    gateState: d.io.state,
    counters: { ...counters },
    outbox: {
      depth: o.depth,
      oldestAgeS: o.oldestAgeS,
      ...(o.freeDiskBytes !== undefined ? { freeDiskBytes: o.freeDiskBytes } : {}),
      ...(o.spilled !== undefined ? { spilled: o.spilled } : {}),
    },
    accessListVersion: d.accessList.version,
  };
}
