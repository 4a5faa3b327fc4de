/**
 * OPC UA alarm conditions mirroring the dashboard's alerts: one condition per alert (a fever
 * episode, a gate's fault), a component of its gate's object with the gate as its source, of a
 * ThermoGate subtype of AlarmConditionType per kind. Removed from the address space once cleared.
 *
 * Acknowledge is ours rather than node-opcua's: node-opcua's clears Retain on acknowledge, which
 * would tell clients to drop an alarm that is still active; ours keeps it, allows operators only,
 * and forwards the acknowledgement to the dashboard. Enable/Disable are refused: the dashboard owns
 * the alerts, a disabled mirror would only hide them.
 */
import {
  DataType,
  type ISessionContext,
  LocalizedText,
  type MethodCallInterceptor,
  type Namespace,
  type NodeId,
  type StatusCode,
  StatusCodes,
  type UAAlarmConditionEx,
  type UAEventType,
  type UAMethod,
  type Variant,
} from 'node-opcua';
import type { SiteNodes } from './address-space.ts';
import { ALERT_KINDS } from '../../protocols/gate/alert-kinds.ts';
import { type ConditionView, MIRRORED_KINDS, type MirrorAction, type MirroredKind } from './alert-mirror.ts';
import type { GateField } from './site-model.ts';

/** Each mirrored kind's alarm type and the gate variable it is about (its InputNode): the registry's. */
const opcuaOf = (kind: MirroredKind) => ALERT_KINDS[kind].opcua;
// test/opcua/alert-mirror.test.ts checks that every registry input is one of GATE_FIELDS.
const inputOf = (kind: MirroredKind): GateField => opcuaOf(kind).input as GateField;

type MethodFn = (
  this: UAMethod,
  args: Variant[],
  context: ISessionContext,
  cb: (err: Error | null, result?: { statusCode: StatusCode }) => void,
) => void;

export interface Acknowledger {
  /** null when allowed, else the status to answer (and the refusal is audited by the caller). */
  authorize(context: ISessionContext, action: string, target: string): StatusCode | null;
  /** An OPC UA user acknowledged: apply locally and forward; returns the view to show or undefined. */
  acknowledge(alertId: string, context: ISessionContext, comment: string): ConditionView | undefined;
}

interface Entry {
  node: UAAlarmConditionEx;
  alertId: string;
}

export class Conditions {
  private readonly types = new Map<MirroredKind, UAEventType>();
  private readonly byAlert = new Map<string, Entry>();
  private readonly byNode = new Map<string, Entry>();
  private readonly removals = new Set<NodeJS.Timeout>();
  private readonly interceptor: MethodCallInterceptor;
  private readonly ackMethod: MethodFn;
  private readonly addressSpace: Namespace['addressSpace'];

  constructor(
    private readonly ns: Namespace,
    private readonly nodes: SiteNodes,
    private readonly o: { siteId: string; ack: Acknowledger },
  ) {
    for (const [kind, browseName] of MIRRORED_KINDS.map((k) => [k, opcuaOf(k).type] as const))
      this.types.set(
        kind,
        ns.addEventType({ browseName, subtypeOf: 'AlarmConditionType', isAbstract: false }),
      );
    // Clients call Acknowledge by the type's method id (AcknowledgeableConditionType) or by the
    // instance's: bind both. Any other condition (none today) keeps node-opcua's behaviour.
    const type = ns.addressSpace.findEventType('AcknowledgeableConditionType') as unknown as {
      acknowledge: UAMethod & { _asyncExecutionFunction?: MethodFn };
    };
    const original = type.acknowledge._asyncExecutionFunction;
    const self = this;
    this.ackMethod = function (this: UAMethod, args, context, cb) {
      const entry = context.object ? self.byNode.get(context.object.nodeId.toString()) : undefined;
      if (!entry) {
        if (original) return original.call(this, args, context, cb);
        return cb(null, { statusCode: StatusCodes.BadNodeIdInvalid });
      }
      cb(null, { statusCode: self.acknowledge(entry, args, context) });
    };
    type.acknowledge.bindMethod(this.ackMethod);
    this.interceptor = (context, object, method) => {
      const entry = object ? this.byNode.get(object.nodeId.toString()) : undefined;
      if (!entry) return StatusCodes.Good;
      const name = method.browseName.name ?? '';
      if (name === 'Enable' || name === 'Disable') return StatusCodes.BadUserAccessDenied;
      if (name === 'AddComment')
        return this.o.ack.authorize(context, 'comment', entry.alertId) ?? StatusCodes.Good;
      return StatusCodes.Good;
    };
    this.addressSpace = ns.addressSpace;
    this.addressSpace.addMethodCallInterceptor(this.interceptor);
  }

  apply(actions: MirrorAction[]): void {
    for (const a of actions) {
      const v = a.view;
      const entry = this.byAlert.get(v.alertId) ?? (a.op === 'clear' ? undefined : this.create(v));
      if (!entry) continue;
      const { node } = entry;
      const branch = node.currentBranch();
      const time = new Date(v.time);
      switch (a.op) {
        case 'raise':
        case 'update':
          branch.setActiveState(true);
          if (branch.getAckedState() !== v.acked) branch.setAckedState(v.acked);
          node.raiseNewCondition({ message: v.message, severity: v.severity, retain: true, time });
          break;
        case 'ack':
          this.showAck(node, v, `acknowledged on the dashboard by ${v.ackedBy ?? 'someone'}`);
          break;
        case 'clear':
          branch.setActiveState(false);
          if (!branch.getAckedState()) branch.setAckedState(true);
          node.raiseNewCondition({
            message: `${v.message}: cleared`,
            severity: v.severity,
            retain: false,
            time,
          });
          this.remove(entry);
          break;
      }
    }
  }

  nodeIdOf(alertId: string): NodeId | undefined {
    return this.byAlert.get(alertId)?.node.nodeId;
  }

  close(): void {
    for (const t of this.removals) clearTimeout(t);
    // The address space may be disposed already (a failed start): nothing to undo then.
    this.addressSpace.removeMethodCallInterceptor?.(this.interceptor);
  }

  private create(v: ConditionView): Entry {
    const gate = this.nodes.addGate(v.gateId);
    const node = this.ns.instantiateAlarmCondition(this.types.get(v.kind) as UAEventType, {
      componentOf: gate.object,
      conditionSource: gate.object,
      browseName: `Alert_${v.alertId}`,
      nodeId: `s=${this.o.siteId}.${v.gateId}.alerts.${v.alertId}`,
      conditionName: v.kind,
      inputNode: gate.vars[inputOf(v.kind)],
    });
    // SourceName: the bare gate id (node-opcua would put the qualified name `<ns>:<gate>`).
    node.sourceName.setValueFromSource({ dataType: DataType.String, value: v.gateId });
    node.acknowledge.bindMethod(this.ackMethod);
    const entry = { node, alertId: v.alertId };
    this.byAlert.set(v.alertId, entry);
    this.byNode.set(node.nodeId.toString(), entry);
    return entry;
  }

  private remove(entry: Entry): void {
    this.byAlert.delete(entry.alertId);
    this.byNode.delete(entry.node.nodeId.toString());
    // Out of the address space a moment later, after the clearing event has gone out.
    const t = setTimeout(() => {
      this.removals.delete(t);
      this.ns.deleteNode(entry.node);
    }, 1000);
    this.removals.add(t);
  }

  private showAck(node: UAAlarmConditionEx, v: ConditionView, comment: string): void {
    const branch = node.currentBranch();
    branch.setAckedState(true);
    branch.setComment(comment);
    if (v.ackedBy) branch.setClientUserId(v.ackedBy);
    // Still active: still of interest (OPC UA Part 9 Retain).
    branch.setRetain(branch.getActiveState());
    branch.setTime(new Date(v.time));
    node.raiseNewBranchState(branch);
  }

  private acknowledge(entry: Entry, args: Variant[], context: ISessionContext): StatusCode {
    const denied = this.o.ack.authorize(context, 'acknowledge', entry.alertId);
    if (denied) return denied;
    const eventId = args[0]?.value as unknown;
    const branch = entry.node.currentBranch();
    if (!Buffer.isBuffer(eventId) || !branch.getEventId().equals(eventId))
      return StatusCodes.BadEventIdUnknown;
    if (branch.getAckedState()) return StatusCodes.BadConditionBranchAlreadyAcked;
    const c = args[1]?.value as unknown;
    const comment = c instanceof LocalizedText ? (c.text ?? '') : typeof c === 'string' ? c : '';
    const view = this.o.ack.acknowledge(entry.alertId, context, comment);
    if (!view) return StatusCodes.BadConditionBranchAlreadyAcked;
    this.showAck(entry.node, view, comment || `acknowledged by ${view.ackedBy}`);
    return StatusCodes.Good;
  }
}
