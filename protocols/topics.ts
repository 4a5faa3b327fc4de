/**
 * Every MQTT topic in one place: the face terminal's (fixed by devices.md §3) and ThermoGate's own.
 * Our own topics live under `tg/{siteId}/...`; ids are restricted so they can never contain MQTT
 * wildcards or separators.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const FaceTopic = {
  event: (deviceId: string) => `face/${deviceId}/event`,
  verdict: (deviceId: string) => `face/${deviceId}/verdict`,
  ack: (deviceId: string) => `face/${deviceId}/ack`,
  status: (deviceId: string) => `face/${deviceId}/status`,
  /** Subscription covering one terminal's messages. */
  all: (deviceId: string) => `face/${deviceId}/#`,
  /** Filter: one kind of message from every terminal (`face/+/status`). */
  every: (kind: FaceTopicKind) => `face/+/${kind}`,
} as const;

export type FaceTopicKind = 'event' | 'verdict' | 'ack' | 'status';

export function parseFaceTopic(topic: string): { deviceId: string; kind: FaceTopicKind } | undefined {
  const m = /^face\/([^/]+)\/(event|verdict|ack|status)$/.exec(topic);
  return m ? { deviceId: m[1] as string, kind: m[2] as FaceTopicKind } : undefined;
}

export type GateTopicKind =
  | 'reading'
  | 'decision'
  | 'alert'
  | 'status'
  | 'heartbeat'
  | 'command'
  | 'command-ack'
  | 'isolation';

const gateBase = (siteId: string, gateId: string) => `tg/${siteId}/gate/${gateId}`;

export const GateTopic = {
  /** Every reading with its provenance (QoS 1). */
  reading: (s: string, g: string) => `${gateBase(s, g)}/reading`,
  /** Every decision on a passage (QoS 1). */
  decision: (s: string, g: string) => `${gateBase(s, g)}/decision`,
  /** Alerts raised by the gate: fever, sensor fault, fire alarm ... (QoS 1). */
  alert: (s: string, g: string) => `${gateBase(s, g)}/alert`,
  /** Retained gate status; the last will sets it offline. */
  status: (s: string, g: string) => `${gateBase(s, g)}/status`,
  /** Periodic counters, outbox depth (QoS 0). */
  heartbeat: (s: string, g: string) => `${gateBase(s, g)}/heartbeat`,
  /** Commands to the gate from the dashboard or OPC UA (QoS 1). */
  command: (s: string, g: string) => `${gateBase(s, g)}/command`,
  /** The gate's answer to a command (QoS 1). */
  commandAck: (s: string, g: string) => `${gateBase(s, g)}/command-ack`,
  /** Retained IsolationPlan from the dashboard: the room for the gate's next flagged person. */
  isolation: (s: string, g: string) => `${gateBase(s, g)}/isolation`,
  /** Everything from every gate of a site, for the hub and dashboard. */
  allGates: (s: string) => `tg/${s}/gate/+/+`,
  /** Filter: one kind of message from every gate of a site (`tg/{site}/gate/+/status`). */
  every: (s: string, kind: GateTopicKind) => `tg/${s}/gate/+/${kind}`,
  /** Filter: everything under one gate (what the gate itself may publish). */
  all: (s: string, g: string) => `${gateBase(s, g)}/#`,
} as const;

export function parseGateTopic(
  topic: string,
): { siteId: string; gateId: string; kind: GateTopicKind } | undefined {
  const m =
    /^tg\/([^/]+)\/gate\/([^/]+)\/(reading|decision|alert|status|heartbeat|command|command-ack|isolation)$/.exec(
      topic,
    );
  return m ? { siteId: m[1] as string, gateId: m[2] as string, kind: m[3] as GateTopicKind } : undefined;
}

export const SiteTopic = {
  /** Filter: every ThermoGate topic of a site (what the dashboard device may read). */
  all: (s: string) => `tg/${s}/#`,
  /** Retained snapshot of the access list (HR's list of who may enter). */
  accessList: (s: string) => `tg/${s}/access-list`,
  /** Changes between snapshots (QoS 1). */
  accessListChanges: (s: string) => `tg/${s}/access-list/changes`,
  /** Retained SitePolicy (protocols/site/policy.ts), published by the hub. */
  policy: (s: string) => `tg/${s}/policy`,
  /** Retained HoldsSnapshot: every person hold of the site (protocols/site/holds.ts), from the hub. */
  holds: (s: string) => `tg/${s}/holds`,
  /** HoldsChange between snapshots (QoS 0, the last one retained: a gate back gets it on subscribing). */
  holdsChanges: (s: string) => `tg/${s}/holds/changes`,
} as const;

/** Topics of the site hub. */
export const HubTopic = {
  /** Retained fleet snapshot (QoS 0: only the latest matters, nothing queues up for offline readers). */
  fleet: (siteId: string) => `tg/${siteId}/fleet`,
  /** Alerts about devices that belong to no known gate (e.g. a terminal no gate claims), QoS 1. */
  alert: (siteId: string) => `tg/${siteId}/hub/alert`,
  /** The hub's time (HubClock, QoS 0, not retained) every few seconds: gates check their clocks against it. */
  clock: (siteId: string) => `tg/${siteId}/hub/clock`,
  /** HubReply to a HoldRequest or PolicyRequest (QoS 1). */
  reply: (siteId: string) => `tg/${siteId}/hub/reply`,
} as const;

/** Topics of the dashboard (protocols/dashboard/messages.ts). */
export const DashboardTopic = {
  /** Every change of an alert (AlertState, QoS 1). */
  alert: (siteId: string) => `tg/${siteId}/dashboard/alert`,
  /** Retained AlertStateList of every alert not yet cleared. */
  alerts: (siteId: string) => `tg/${siteId}/dashboard/alerts`,
  /** AlertAckRequest from other operator surfaces (OPC UA), QoS 1. */
  alertAck: (siteId: string) => `tg/${siteId}/dashboard/alert-ack`,
  /** HoldRequest to the hub (open, stage, room, lift), QoS 1. */
  holdRequest: (siteId: string) => `tg/${siteId}/dashboard/hold-request`,
  /** PolicyRequest to the hub (an admin's new site policy), QoS 1. */
  policyRequest: (siteId: string) => `tg/${siteId}/dashboard/policy-request`,
  /** Filter: every dashboard topic of a site (what the dashboard may publish). */
  all: (siteId: string) => `tg/${siteId}/dashboard/#`,
  /**
   * The filters the dashboard subscribes to (on its persistent session): what its wire router
   * (dashboard/wire/router.ts) reads, nothing more. Not the readings (a third of a site's messages;
   * they go to the readings store, not through the dashboard), the isolation plans and alert lists
   * it publishes itself, or the hub's clock: a persistent session makes the hub store every QoS 1
   * message it is subscribed to before acknowledging it.
   */
  subscriptions: (siteId: string): string[] => [
    GateTopic.every(siteId, 'decision'),
    GateTopic.every(siteId, 'alert'),
    GateTopic.every(siteId, 'status'),
    GateTopic.every(siteId, 'heartbeat'),
    GateTopic.every(siteId, 'command'),
    GateTopic.every(siteId, 'command-ack'),
    HubTopic.fleet(siteId),
    HubTopic.alert(siteId),
    HubTopic.reply(siteId),
    SiteTopic.accessList(siteId),
    SiteTopic.policy(siteId),
    SiteTopic.holds(siteId),
    SiteTopic.holdsChanges(siteId),
    DashboardTopic.alertAck(siteId),
  ],
} as const;

/**
 * Home Assistant's MQTT discovery (hub/homeassistant/): the hub mirrors each gate into retained
 * state messages under our tree; the discovery configs go under HA's own prefix.
 */
export const HaTopic = {
  /** Retained HaGateState of one gate. */
  state: (siteId: string, gateId: string) => `tg/${siteId}/ha/${gateId}/state`,
  /** Retained `online` while the hub runs, `offline` once it stopped. */
  availability: (siteId: string) => `tg/${siteId}/ha/availability`,
  /** One retained config per entity: `{prefix}/{component}/{node}/{key}/config` (HA's discovery scheme). */
  discovery: (prefix: string, component: string, node: string, key: string) =>
    `${prefix}/${component}/${node}/${key}/config`,
} as const;
