/**
 * How every ThermoGate program takes configuration from the environment: `PREFIX` + the key path
 * joined by `__`, e.g. `TG_EDGE__MQTT__PASSWORD_FILE=/run/secrets/pw` sets `mqtt.passwordFile`.
 * Part of the config interface that the edge, the hub and the dashboard share (README,
 * docker-compose), so it is defined once. Pure: the environment is passed in.
 */
type Json = Record<string, unknown>;

/** Key match ignoring case and underscores: PASSWORD_FILE names passwordFile. */
const norm = (s: string) => s.replace(/_/g, '').toLowerCase();

/** PASSWORD_FILE → passwordFile when the file does not name the key yet; mixed case kept as given. */
const camel = (seg: string) =>
  seg === seg.toUpperCase()
    ? seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    : seg.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());

/** A value is JSON when it parses as JSON (numbers, booleans, arrays), else a string. */
function parseValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** A copy of `raw` with every `prefix…` variable of `env` applied; missing sections are created. */
export function applyEnvOverrides(raw: Json, env: Record<string, string | undefined>, prefix: string): Json {
  const out: Json = structuredClone(raw);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const segments = name.slice(prefix.length).split('__').filter(Boolean);
    let node: Json = out;
    segments.forEach((seg, i) => {
      const existing = Object.keys(node).find((k) => norm(k) === norm(seg));
      const key = existing ?? camel(seg);
      if (i === segments.length - 1) node[key] = parseValue(value);
      else {
        if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
        node = node[key] as Json;
      }
    });
  }
  return out;
}
