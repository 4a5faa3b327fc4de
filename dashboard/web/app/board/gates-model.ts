/**
 * Gate tiles from GET /api/gates, kept current between fetches by the feed's decisions (last
 * passage) and fleet snapshots (online, thermometer, gate state). Pure, unit-tested.
 */
import type { DecisionMessage, GateTile, LastPassage } from '../types.ts';

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
    reason: typeof r.reason === 'string' ? r.reason : undefined,
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
          },
        }
      : g,
  );
}

/** A fleet snapshot (or one FleetGate) updates the tiles; `unknown` says a gate is not shown yet. */
export function fromFleet(gates: GateTile[], data: unknown): { gates: GateTile[]; unknown: boolean } {
  const raw = data as Raw;
  const fleet = (Array.isArray(raw?.gates) ? raw.gates : raw?.gateId ? [raw] : []) as Raw[];
  let unknown = false;
  const next = gates.map((g) => {
    const f = fleet.find((x) => x.gateId === g.gateId);
    if (!f) return g;
    return {
      ...g,
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
