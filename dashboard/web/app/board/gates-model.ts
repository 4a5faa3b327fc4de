/**
 * Gate tiles from GET /api/gates, kept current between fetches by the feed's decisions (last
 * passage) and fleet snapshots (online, thermometer, gate state). Pure, unit-tested.
 */
import type { Key } from '../i18n.ts';
import type { DecisionMessage, GateTile, LastPassage, PersonSyncStatus, TerminalInfo } from '../types.ts';

type Raw = Record<string, unknown>;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function lastPassage(raw: Raw): LastPassage | null {
  const p = (raw.lastPassage ?? raw.lastDecision ?? null) as Raw | null;
  if (!p || typeof p !== 'object') return null;
  // Either a flat passage or a ReadingRecord / DecisionMessage.
  const r = ((p as { reading?: Raw }).reading ?? p) as Raw;
  const at = num(r.at);
  if (at === null) return null;
  return {
    at,
    employeeNo: String(r.employeeNo ?? ''),
    name: (p.name ?? r.name ?? null) as string | null,
    temperatureTenths: num(r.temperatureTenths),
    decision: String(r.decision ?? ''),
    reason: typeof r.reason === 'string' ? r.reason : '',
    readingId: String(r.readingId ?? r.id ?? ''),
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The terminal a gate reports (its driver's view; ISAPI: deviceInfo), or null. */
function terminalInfo(v: unknown): TerminalInfo | null {
  if (!v || typeof v !== 'object') return null;
  const r = v as Raw;
  const protocol = str(r.protocol);
  if (protocol === null) return null;
  return {
    protocol,
    online: typeof r.online === 'boolean' ? r.online : null,
    model: str(r.model),
    serialNumber: str(r.serialNumber),
    firmwareVersion: str(r.firmwareVersion),
  };
}

/** Accepts `GateTile[]` or `{ gates: [...] }`, with the fleet's fields at the top or under `fleet`. */
export function asGateTiles(body: unknown): GateTile[] {
  const list = (Array.isArray(body) ? body : ((body as { gates?: unknown[] })?.gates ?? [])) as Raw[];
  return list.map((raw) => {
    const f = { ...((raw.fleet as Raw | undefined) ?? {}), ...raw } as Raw;
    const today = (raw.today ?? {}) as Raw;
    return {
      gateId: String(f.gateId),
      online: f.online === true,
      offlineReason: (f.offlineReason ?? null) as GateTile['offlineReason'],
      thermometer: (f.thermometer ?? 'none') as GateTile['thermometer'],
      gateState: (f.gateState ?? 'locked') as GateTile['gateState'],
      softwareVersion: String(f.softwareVersion ?? ''),
      configVersion: String(f.configVersion ?? ''),
      accessListVersion: num(f.accessListVersion),
      lastSeenAt: num(f.lastSeenAt),
      terminalId: typeof f.terminalId === 'string' ? f.terminalId : null,
      terminalOnline: typeof f.terminalOnline === 'boolean' ? f.terminalOnline : null,
      terminalOfflineReason: (f.terminalOfflineReason ?? null) as GateTile['terminalOfflineReason'],
      outbox: (f.outbox ?? null) as GateTile['outbox'],
      policyOverrides: Array.isArray(f.policyOverrides) ? f.policyOverrides.map(String) : [],
      policyVersion: num(f.policyVersion),
      terminalClockOffsetMs: num(f.terminalClockOffsetMs),
      terminal: terminalInfo(f.terminal),
      lastPassage: lastPassage(raw),
      passedToday: num(raw.passedToday) ?? num(today.passed) ?? 0,
      flaggedToday: num(raw.flaggedToday) ?? num(today.flagged) ?? 0,
    };
  });
}

/** A live decision becomes the gate's last passage at once (today's counts follow from a refetch). */
export function fromDecision(gates: GateTile[], d: DecisionMessage): GateTile[] {
  const r = d?.reading;
  if (!r?.realtime) return gates;
  return gates.map((g) =>
    g.gateId === r.gateId && (!g.lastPassage || g.lastPassage.at <= r.at)
      ? {
          ...g,
          lastPassage: {
            at: r.at,
            employeeNo: r.employeeNo,
            name: d.name || null,
            temperatureTenths: r.temperatureTenths,
            decision: r.decision,
            reason: r.reason,
            readingId: r.id,
          },
        }
      : g,
  );
}

/** A fleet snapshot (or one FleetGate) updates the tiles; `unknown` says a gate is not shown yet. */
export function fromFleet(gates: GateTile[], data: unknown): { gates: GateTile[]; unknown: boolean } {
  const raw = data as Raw;
  const fleet = (Array.isArray(raw?.gates) ? raw.gates : raw?.gateId ? [raw] : []) as Raw[];
  const terminals = (Array.isArray(raw?.terminals) ? raw.terminals : []) as Raw[];
  let unknown = false;
  const next = gates.map((g) => {
    const f = fleet.find((x) => x.gateId === g.gateId);
    if (!f) return g;
    const terminalId = typeof f.terminalId === 'string' ? f.terminalId : g.terminalId;
    const term =
      terminals.find((x) => terminalId !== null && x.terminalId === terminalId) ??
      terminals.find((x) => x.gateId === g.gateId);
    return {
      ...g,
      terminalId: terminalId ?? (typeof term?.terminalId === 'string' ? term.terminalId : null),
      // A snapshot without terminals (one FleetGate) says nothing about the terminal: keep what we had.
      terminalOnline: term ? term.online === true : g.terminalOnline,
      policyOverrides: Array.isArray(f.policyOverrides) ? f.policyOverrides.map(String) : g.policyOverrides,
      policyVersion: f.policyVersion === undefined ? g.policyVersion : num(f.policyVersion),
      terminalClockOffsetMs:
        f.terminalClockOffsetMs === undefined ? g.terminalClockOffsetMs : num(f.terminalClockOffsetMs),
      terminal: f.terminal === undefined ? g.terminal : terminalInfo(f.terminal),
      online: f.online === true,
      offlineReason: (f.offlineReason ?? null) as GateTile['offlineReason'],
      thermometer: (f.thermometer ?? g.thermometer) as GateTile['thermometer'],
      gateState: (f.gateState ?? g.gateState) as GateTile['gateState'],
      softwareVersion: String(f.softwareVersion ?? g.softwareVersion),
      configVersion: String(f.configVersion ?? g.configVersion),
      accessListVersion: f.accessListVersion === undefined ? g.accessListVersion : num(f.accessListVersion),
      lastSeenAt: num(f.lastSeenAt) ?? g.lastSeenAt,
    };
  });
  for (const f of fleet) if (!gates.some((g) => g.gateId === f.gateId)) unknown = true;
  return { gates: next, unknown };
}

/** What is wrong with a gate, worst first; empty when it can screen people. */
export type GateProblem = 'gate-offline' | 'terminal-offline' | 'thermometer-offline' | 'thermometer-fault';

/**
 * A gate is down when any part a passage needs is: the gate itself, its face terminal (nobody is
 * recognised: issue #18 saw "在线" on both tiles while the terminal was dead) or its thermometer.
 * The relay is not on the wire (no gate status field says it), so it cannot be shown here.
 */
export function gateProblems(g: GateTile): GateProblem[] {
  const out: GateProblem[] = [];
  if (!g.online) out.push('gate-offline');
  if (g.terminalOnline === false) out.push('terminal-offline');
  if (g.thermometer === 'offline') out.push('thermometer-offline');
  if (g.thermometer === 'fault') out.push('thermometer-fault');
  return out;
}

/** The terminal-clock tolerance the gates use by default (edge `terminalClockToleranceMs`). */
export const CLOCK_TOLERANCE_MS = 2000;

/** Moves `el` to position `i` of `parent` only when it is elsewhere: moving a node blurs the focus inside it. */
export function placeAt(parent: Element, el: Element, i: number): void {
  if (parent.children[i] !== el) parent.insertBefore(el, parent.children[i] ?? null);
}

/**
 * The line about the terminal's person list (ISAPI person sync): in line with which list version,
 * or how many differences are pending and the terminal's own refusal code. Pure, for the test.
 */
export function personSyncLine(ps: PersonSyncStatus): { key: Key; params: Record<string, string | number> } {
  const code = [ps.errorCode, ps.statusCode !== null ? `${ps.statusCode}/${ps.subStatusCode ?? ''}` : null]
    .filter((x) => x)
    .join(' ');
  if (ps.state === 'in-sync')
    return {
      key: 'terminal.sync.inSync',
      params: { version: ps.listVersion ?? '—', n: ps.terminalPersons ?? '—' },
    };
  if (ps.state === 'waiting') return { key: 'terminal.sync.waiting', params: {} };
  if (ps.state === 'syncing') return { key: 'terminal.sync.syncing', params: { pending: ps.pending ?? '—' } };
  return { key: 'terminal.sync.retrying', params: { pending: ps.pending ?? '—', code: code || '—' } };
}
