/**
 * Who may publish and subscribe where, by role. One table, used by the broker hooks, by the
 * Mosquitto ACL generator and by the docs (hub/README.md). A device gets exactly the topics its
 * job needs: a gate cannot speak for another gate, a terminal cannot speak for another terminal.
 */
import type { DeviceCredential, DeviceRole } from '../../protocols/hub/credentials.ts';
import { DashboardTopic, FaceTopic, GateTopic, HubTopic, SiteTopic } from '../../protocols/topics.ts';
import { filterCovers, topicMatches } from './topic-filter.ts';

export interface Identity {
  id: string;
  role: DeviceRole;
  site?: string | undefined;
  gate?: string | undefined;
  terminal?: string | undefined;
}

export interface TopicRules {
  publish: string[];
  subscribe: string[];
}

export function rulesFor(d: Identity): TopicRules {
  switch (d.role) {
    case 'gate': {
      const site = d.site as string;
      const gate = d.gate as string;
      const terminal = d.terminal as string;
      return {
        // status: a gate speaks for an ISAPI terminal (devices.md §5), which has no MQTT of its own.
        publish: [
          GateTopic.all(site, gate),
          FaceTopic.verdict(terminal),
          FaceTopic.ack(terminal),
          FaceTopic.status(terminal),
        ],
        subscribe: [
          FaceTopic.event(terminal),
          GateTopic.command(site, gate),
          GateTopic.isolation(site, gate),
          SiteTopic.accessList(site),
          SiteTopic.accessListChanges(site),
          SiteTopic.holds(site),
          SiteTopic.holdsChanges(site),
          SiteTopic.policy(site),
          HubTopic.clock(site),
        ],
      };
    }
    case 'terminal':
      return {
        publish: [FaceTopic.event(d.id), FaceTopic.status(d.id)],
        subscribe: [FaceTopic.verdict(d.id), FaceTopic.ack(d.id)],
      };
    case 'dashboard': {
      const site = d.site as string;
      return {
        publish: [
          GateTopic.every(site, 'command'),
          GateTopic.every(site, 'isolation'),
          DashboardTopic.all(site),
        ],
        subscribe: [SiteTopic.all(site), FaceTopic.every('status')],
      };
    }
    case 'service':
      return { publish: ['#'], subscribe: ['#'] };
  }
}

export function canPublish(rules: TopicRules, topic: string): boolean {
  return rules.publish.some((p) => topicMatches(p, topic));
}

export function canSubscribe(rules: TopicRules, filter: string): boolean {
  return rules.subscribe.some((p) => filterCovers(p, filter));
}

/** Can a subscriber with these rules receive a message on this concrete topic? */
export function canReceive(rules: TopicRules, topic: string): boolean {
  return rules.subscribe.some((p) => topicMatches(p, topic));
}

/**
 * MQTT client ids a device may connect with. Sessions (queued messages, subscriptions) belong to a
 * client id, so a client id must never be usable by two devices: otherwise one could take over the
 * other's session and read what was queued for it.
 * - terminal: exactly its device id (devices.md §3);
 * - gate: its id, or the edge's default `tg-edge-{site}-{gate}`;
 * - dashboard, service: its id, or its id followed by `-` and anything (several instances);
 * - any role: the extra ids listed in its credentials entry.
 */
export function clientIdAllowed(
  d: Identity & Pick<DeviceCredential, 'clientIds'>,
  clientId: string,
): boolean {
  if (clientId === d.id || d.clientIds?.includes(clientId)) return true;
  switch (d.role) {
    case 'terminal':
      return false;
    case 'gate':
      return clientId === `tg-edge-${d.site}-${d.gate}`;
    case 'dashboard':
    case 'service':
      return clientId.startsWith(`${d.id}-`);
  }
}
