/**
 * What the OPC UA server reads from the broker: the gates' status, heartbeats, decisions and
 * command acks, and the dashboard's alert states. Parses and routes; bad payloads are logged with
 * a code and ignored (the broker still delivers them to everyone else).
 */
import { AlertState, AlertStateList } from '../../protocols/dashboard/messages.ts';
import { DecisionMessage, GateCommandAck, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { DashboardTopic, parseGateTopic } from '../../protocols/topics.ts';
import type { Logger } from '../log.ts';
import type { AlertMirror, MirrorAction } from './alert-mirror.ts';
import type { CommandDispatcher } from './commands.ts';
import { OpcuaErrorCode } from './errors.ts';
import type { SiteModel } from './site-model.ts';

/** The retained list holds every open alert of the site: far beyond one message's usual 16 KiB. */
const MAX_LIST_BYTES = 4 * 1024 * 1024;

export interface FeedTargets {
  siteId: string;
  model: SiteModel;
  mirror: AlertMirror;
  commands: CommandDispatcher;
  /** Applies the mirror's actions to the address space. */
  apply: (actions: MirrorAction[]) => void;
  log: Logger;
}

/** Topic filters to subscribe (in-process) and to seed from retained messages. */
export function feedFilters(siteId: string): { live: string[]; retained: string[] } {
  return {
    live: [`tg/${siteId}/gate/+/+`, DashboardTopic.alert(siteId), DashboardTopic.alerts(siteId)],
    retained: [`tg/${siteId}/gate/+/status`, DashboardTopic.alerts(siteId)],
  };
}

export function createFeed(t: FeedTargets): (topic: string, payload: Buffer) => void {
  const bad = (topic: string, e: { code: string; message: string }) =>
    t.log.warn(
      { code: OpcuaErrorCode.BAD_MESSAGE, cause: e.code, topic, reason: e.message },
      'message ignored',
    );
  const alertTopic = DashboardTopic.alert(t.siteId);
  const alertsTopic = DashboardTopic.alerts(t.siteId);

  return (topic, payload) => {
    if (topic === alertTopic) {
      const r = parsePayload(AlertState, payload);
      if (!r.ok) return bad(topic, r.error);
      if (r.value.siteId === t.siteId) t.apply(t.mirror.onState(r.value));
      return;
    }
    if (topic === alertsTopic) {
      // An empty retained payload deletes the list (the dashboard was removed): nothing to learn.
      if (payload.length === 0) return;
      const r = parsePayload(AlertStateList, payload, MAX_LIST_BYTES);
      if (!r.ok) return bad(topic, r.error);
      if (r.value.siteId === t.siteId) t.apply(t.mirror.onList(r.value));
      return;
    }
    const g = parseGateTopic(topic);
    if (!g || g.siteId !== t.siteId) return;
    // The topic says which gate it is (the broker's ACL guarantees it); the payload could say anything.
    switch (g.kind) {
      case 'status': {
        if (payload.length === 0) return;
        const r = parsePayload(GateStatus, payload);
        if (!r.ok) return bad(topic, r.error);
        return t.model.onStatus({ ...r.value, gateId: g.gateId });
      }
      case 'heartbeat': {
        const r = parsePayload(Heartbeat, payload);
        if (!r.ok) return bad(topic, r.error);
        return t.model.onHeartbeat({ ...r.value, gateId: g.gateId });
      }
      case 'decision': {
        const r = parsePayload(DecisionMessage, payload);
        if (!r.ok) return bad(topic, r.error);
        return t.model.onDecision(g.gateId, r.value);
      }
      case 'command-ack': {
        const r = parsePayload(GateCommandAck, payload);
        if (!r.ok) return bad(topic, r.error);
        return t.commands.onAck(g.gateId, r.value);
      }
      default:
        return;
    }
  };
}
