/**
 * The site's address space under Objects: `<siteId>` (an event notifier of the Server object),
 * then one object per gate (an event source of the site) with its variables and methods.
 * NodeIds are strings built from the ids, so a SCADA's tag list survives restarts:
 * `ns=<urn:thermogate:site:<siteId>>;s=<siteId>.<gateId>.<Variable>`.
 */
import {
  type CallMethodResultOptions,
  DataType,
  type ISessionContext,
  type Namespace,
  type StatusCode,
  StatusCodes,
  standardUnits,
  type UAObject,
  type UAVariable,
  type Variant,
} from 'node-opcua';
import type { CommandKind } from './commands.ts';
import { type FieldValue, GATE_FIELDS, type GateField, type Quality } from './site-model.ts';

export const STATUS: Record<Quality, StatusCode> = {
  good: StatusCodes.Good,
  uncertain: StatusCodes.UncertainLastUsableValue,
  bad: StatusCodes.BadCommunicationError,
  none: StatusCodes.BadWaitingForInitialData,
};

const TYPES: Record<GateField, DataType> = {
  LastTemperature: DataType.Double,
  LastResult: DataType.String,
  GateState: DataType.String,
  ThermometerState: DataType.String,
  Online: DataType.Boolean,
  PassedToday: DataType.UInt32,
  FlaggedToday: DataType.UInt32,
  OutboxDepth: DataType.UInt32,
};

const DESCRIPTIONS: Record<GateField, string> = {
  LastTemperature: 'Temperature of the latest passage, °C (display only: the gate decides)',
  LastResult: 'Decision on the latest passage: pass, flagged, remeasure, denied, unpaired, manual',
  GateState: 'released, locked, lockdown or fire',
  ThermometerState: 'online, offline, fault or none',
  Online: 'The gate is connected to the site hub',
  PassedToday: 'Passages decided "pass" today (site time zone), since the hub started',
  FlaggedToday: 'Passages flagged (fever) today (site time zone), since the hub started',
  OutboxDepth: 'Readings waiting in the gate for the site database',
};

export const METHODS: ReadonlyArray<{ name: string; kind: CommandKind; description: string }> = [
  { name: 'OpenOnce', kind: 'open-once', description: 'Release the turnstile once (reason required)' },
  { name: 'Lockdown', kind: 'lockdown', description: 'Deny every passage until ReleaseLockdown' },
  { name: 'ReleaseLockdown', kind: 'release-lockdown', description: 'End a lockdown' },
];

export type MethodHandler = (
  gateId: string,
  kind: CommandKind,
  args: Variant[],
  context: ISessionContext,
) => Promise<CallMethodResultOptions>;

export interface GateNodes {
  object: UAObject;
  vars: Record<GateField, UAVariable>;
}

export class SiteNodes {
  readonly site: UAObject;
  private readonly gates = new Map<string, GateNodes>();

  constructor(
    private readonly ns: Namespace,
    private readonly o: {
      siteId: string;
      timeZone: string;
      temperatureRange: { low: number; high: number };
      onMethod: MethodHandler;
    },
  ) {
    const addressSpace = ns.addressSpace;
    this.site = ns.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: o.siteId,
      displayName: o.siteId,
      nodeId: `s=${o.siteId}`,
      description: `ThermoGate site ${o.siteId}: its entrance gates`,
      eventNotifier: 1,
      notifierOf: addressSpace.rootFolder.objects.server,
    });
    const prop = (name: string, value: string) =>
      ns.addVariable({
        propertyOf: this.site,
        browseName: name,
        displayName: name,
        nodeId: `s=${o.siteId}.${name}`,
        dataType: 'String',
        value: { dataType: DataType.String, value },
      });
    prop('SiteId', o.siteId);
    prop('TimeZone', o.timeZone);
  }

  gate(gateId: string): GateNodes | undefined {
    return this.gates.get(gateId);
  }

  addGate(gateId: string): GateNodes {
    const existing = this.gates.get(gateId);
    if (existing) return existing;
    const { ns } = this;
    const base = `${this.o.siteId}.${gateId}`;
    const object = ns.addObject({
      componentOf: this.site,
      browseName: gateId,
      // Also the SourceName of the gate's alarms: the bare id, not the qualified name.
      displayName: gateId,
      nodeId: `s=${base}`,
      description: `Entrance gate ${gateId}`,
      eventNotifier: 1,
      eventSourceOf: this.site,
    });
    const vars = {} as Record<GateField, UAVariable>;
    for (const field of GATE_FIELDS) {
      const common = {
        componentOf: object,
        browseName: field,
        displayName: field,
        nodeId: `s=${base}.${field}`,
        description: DESCRIPTIONS[field],
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        // Changes are pushed by setValueFromSource: report each at once rather than sample.
        minimumSamplingInterval: 0,
      } as const;
      vars[field] =
        field === 'LastTemperature'
          ? ns.addAnalogDataItem({
              ...common,
              dataType: 'Double',
              engineeringUnitsRange: this.o.temperatureRange,
              engineeringUnits: standardUnits.degree_celsius,
            })
          : ns.addVariable({ ...common, dataType: DataType[TYPES[field]] });
    }
    for (const m of METHODS) {
      const method = ns.addMethod(object, {
        browseName: m.name,
        displayName: m.name,
        nodeId: `s=${base}.${m.name}`,
        description: m.description,
        inputArguments: [
          {
            name: 'reason',
            description: { text: 'Why (audited; up to 200 characters)' },
            dataType: DataType.String,
          },
        ],
        outputArguments: [],
      });
      method.bindMethod((args: Variant[], context: ISessionContext) =>
        this.o.onMethod(gateId, m.kind, args, context),
      );
    }
    const nodes = { object, vars };
    this.gates.set(gateId, nodes);
    return nodes;
  }

  setValue(gateId: string, field: GateField, v: FieldValue): void {
    const node = this.gates.get(gateId)?.vars[field];
    if (!node) return;
    const variant =
      v.value === null ? { dataType: DataType.Null } : { dataType: TYPES[field], value: v.value };
    node.setValueFromSource(variant, STATUS[v.quality], v.at === null ? new Date() : new Date(v.at));
  }
}
