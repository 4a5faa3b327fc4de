/**
 * Everything the dashboard hears on `tg/{site}/#`, parsed with the protocols' zod schemas and
 * routed to the modules. A bad payload (not JSON, wrong schema, another site, a topic/payload
 * mismatch) is refused, logged and counted; a module that throws on a valid one is logged and
 * counted too. Nothing here ever throws into the MQTT client.
 */
import type { z } from 'zod';
import { AlertAckRequest } from '../../protocols/dashboard/messages.ts';
import { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import {
  AlertMessage,
  DecisionMessage,
  GateCommand,
  GateCommandAck,
  GateStatus,
  Heartbeat,
} from '../../protocols/gate/messages.ts';
import { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { HoldsChange, HoldsSnapshot, HubReply } from '../../protocols/site/holds.ts';
import { SitePolicy } from '../../protocols/site/policy.ts';
import { DashboardTopic, HubTopic, parseGateTopic, SiteTopic } from '../../protocols/topics.ts';
import type { AlertsService } from '../alerts/types.ts';
import type { CommandService } from '../commands/commands.ts';
import type { LiveFeed } from '../feed/live-feed.ts';
import type { Logger } from '../log.ts';
import type { DashboardMetrics } from '../metrics/metrics.ts';
import type { SiteService } from '../site/service.ts';
import type { GateBoard } from './gate-board.ts';

/** Snapshots of a whole site (hundreds of gates, thousands of people) are far above a gate message. */
const LARGE_PAYLOAD_BYTES = 16 * 1024 * 1024;

export interface WireDeps {
  siteId: string;
  alerts: AlertsService;
  feed: LiveFeed;
  board: GateBoard;
  commands: CommandService;
  metrics: DashboardMetrics;
  site: SiteService;
  log: Logger;
}

export const WireErrorCode = {
  /** The payload names another site or gate than its topic. */
  MISMATCH: 'TG_DASH_WIRE_MISMATCH',
} as const;

export function createWireRouter(d: WireDeps): (topic: string, payload: Buffer) => void {
  const site = d.siteId;

  const refuse = (kind: string, topic: string, code: string, reason: string): false => {
    d.metrics.badPayload(kind, code);
    d.log.warn({ topic, code, reason }, 'MQTT payload refused');
    return false;
  };

  /** Parses, counts, runs; false when refused. */
  function take<S extends z.ZodType>(
    kind: string,
    topic: string,
    schema: S,
    payload: Buffer,
    run: (v: z.output<S>) => void,
    opts: { maxBytes?: number; check?: (v: z.output<S>) => string | null } = {},
  ): boolean {
    const r = parsePayload(schema, payload, opts.maxBytes);
    if (!r.ok) return refuse(kind, topic, r.error.code, r.error.message);
    const mismatch = opts.check?.(r.value);
    if (mismatch) return refuse(kind, topic, WireErrorCode.MISMATCH, mismatch);
    d.metrics.message(kind);
    try {
      run(r.value);
    } catch (e) {
      d.metrics.handlerError(kind);
      d.log.error({ topic, err: e }, 'processing a valid message failed');
    }
    return true;
  }

  const sameGate = (topicGate: string) => (v: { siteId: string; gateId: string }) =>
    v.siteId !== site || v.gateId !== topicGate
      ? `payload is for ${v.siteId}/${v.gateId}, topic for ${site}/${topicGate}`
      : null;

  return (topic, payload) => {
    const g = parseGateTopic(topic);
    if (g) {
      if (g.siteId !== site) return refuse(g.kind, topic, WireErrorCode.MISMATCH, 'another site');
      // An empty retained payload deletes a retained message (status of a removed gate, a plan).
      if (payload.length === 0) return;
      switch (g.kind) {
        case 'decision':
          return take(
            'decision',
            topic,
            DecisionMessage,
            payload,
            (m) => {
              if (!d.board.onDecision(m)) return; // redelivered
              d.metrics.decision(g.gateId, m.reading.decision);
              d.alerts.onDecision(m);
              d.feed.publish('decision', m);
              // How late the feed is (an offline record is old by nature).
              if (m.reading.realtime) d.feed.noteSourceTime(m.reading.at);
            },
            { check: (m) => sameGate(g.gateId)(m.reading) },
          );
        case 'alert':
          return take('alert', topic, AlertMessage, payload, (m) => d.alerts.onGateAlert(m), {
            check: sameGate(g.gateId),
          });
        case 'status':
          return take(
            'status',
            topic,
            GateStatus,
            payload,
            (m) => {
              d.board.onStatus(m);
              d.alerts.onGateStatus(m);
            },
            { check: sameGate(g.gateId) },
          );
        case 'heartbeat':
          return take('heartbeat', topic, Heartbeat, payload, (m) => d.board.onHeartbeat(m), {
            check: sameGate(g.gateId),
          });
        case 'command':
          return take('command', topic, GateCommand, payload, (m) => d.commands.onWireCommand(g.gateId, m));
        case 'command-ack':
          return take('command-ack', topic, GateCommandAck, payload, (m) => d.commands.onAck(g.gateId, m));
        default:
          // readings go to the readings store (not ours to keep); isolation plans are our own.
          return;
      }
    }
    if (payload.length === 0) return;
    switch (topic) {
      case HubTopic.fleet(site):
        return take(
          'fleet',
          topic,
          FleetSnapshot,
          payload,
          (m) => {
            if (d.board.onFleet(m)) d.feed.broadcast('fleet', m);
          },
          {
            maxBytes: LARGE_PAYLOAD_BYTES,
            check: (m) => (m.siteId === site ? null : `fleet of ${m.siteId}`),
          },
        );
      case SiteTopic.accessList(site):
        return take('access-list', topic, AccessListSnapshot, payload, (m) => d.board.onAccessList(m), {
          maxBytes: LARGE_PAYLOAD_BYTES,
        });
      case SiteTopic.policy(site):
        return take('policy', topic, SitePolicy, payload, (m) => d.site.state.onPolicy(m));
      case SiteTopic.holds(site):
        return take('holds', topic, HoldsSnapshot, payload, (m) => d.site.state.onHoldsSnapshot(m), {
          maxBytes: LARGE_PAYLOAD_BYTES,
        });
      case SiteTopic.holdsChanges(site):
        return take('holds-change', topic, HoldsChange, payload, (m) => d.site.state.onHoldsChange(m), {
          maxBytes: LARGE_PAYLOAD_BYTES,
        });
      case HubTopic.reply(site):
        return take('hub-reply', topic, HubReply, payload, (m) => d.site.requests.onReply(m));
      case DashboardTopic.alertAck(site):
        return take('alert-ack', topic, AlertAckRequest, payload, (m) => d.alerts.onAckRequest(m));
      case HubTopic.alert(site):
        return take('hub-alert', topic, AlertMessage, payload, (m) => d.alerts.onGateAlert(m), {
          check: (m) => (m.siteId === site ? null : `alert of ${m.siteId}`),
        });
      default:
        return;
    }
  };
}
