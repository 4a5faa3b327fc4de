/**
 * Home Assistant MQTT discovery for one gate: what the retained `.../config` messages say, and the
 * state the hub publishes for them. Pure: no broker here.
 *
 * Each gate is one HA device with three sensors and a binary sensor, all reading one retained JSON
 * state topic through value templates (one message per change instead of four). Availability is the
 * hub's: when the hub stops, HA shows the values as unavailable rather than stale.
 */
import { HaTopic } from '../../protocols/topics.ts';

export const HA_ENTITIES = [
  {
    key: 'last_temperature',
    component: 'sensor',
    name: 'Last temperature',
    // A JSON null renders as "None", which HA's MQTT sensor takes as "unknown".
    value_template: '{{ value_json.lastTemperatureC }}',
    unit_of_measurement: '°C',
    device_class: 'temperature',
    state_class: 'measurement',
    suggested_display_precision: 1,
  },
  {
    key: 'passed_today',
    component: 'sensor',
    name: 'Passed today',
    value_template: '{{ value_json.passedToday }}',
    // Back to 0 at the site's midnight: total_increasing treats a drop as a reset.
    state_class: 'total_increasing',
    icon: 'mdi:account-check',
  },
  {
    key: 'flagged_today',
    component: 'sensor',
    name: 'Flagged today',
    value_template: '{{ value_json.flaggedToday }}',
    state_class: 'total_increasing',
    icon: 'mdi:thermometer-alert',
  },
  {
    key: 'online',
    component: 'binary_sensor',
    name: 'Online',
    value_template: "{{ 'ON' if value_json.online else 'OFF' }}",
    device_class: 'connectivity',
    entity_category: 'diagnostic',
  },
] as const;

export type HaEntityKey = (typeof HA_ENTITIES)[number]['key'];

/** What `tg/{site}/ha/{gate}/state` carries (retained). */
export interface HaGateState {
  /** °C of the latest passage with a temperature, null before the first. */
  lastTemperatureC: number | null;
  lastResult: string | null;
  passedToday: number;
  flaggedToday: number;
  online: boolean;
  /** When the hub published this, epoch ms. */
  at: number;
}

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/** One retained config message per entity of the gate. */
export function discoveryMessages(o: {
  prefix: string;
  siteId: string;
  gateId: string;
  softwareVersion: string;
}): DiscoveryMessage[] {
  // Ids are [A-Za-z0-9_-] (ID_PATTERN), which is exactly what HA allows in node and object ids.
  const node = `thermogate_${o.siteId}_${o.gateId}`;
  const device = {
    identifiers: [node],
    name: `ThermoGate ${o.siteId} ${o.gateId}`,
    manufacturer: 'ThermoGate',
    model: 'Temperature gate',
    sw_version: o.softwareVersion,
  };
  return HA_ENTITIES.map(({ key, component, ...entity }) => ({
    topic: HaTopic.discovery(o.prefix, component, node, key),
    payload: {
      ...entity,
      unique_id: `${node}_${key}`,
      state_topic: HaTopic.state(o.siteId, o.gateId),
      availability_topic: HaTopic.availability(o.siteId),
      payload_available: 'online',
      payload_not_available: 'offline',
      device,
      origin: { name: 'ThermoGate', sw_version: o.softwareVersion },
    },
  }));
}
