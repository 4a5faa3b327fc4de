/**
 * Helpers for the OPC UA tests: a hub with the OPC UA server on (its logs captured, so the audit
 * trail can be asserted), node-opcua client sessions, and a stand-in for the dashboard that answers
 * on the wire the way the real one does (AlertState per change, retained AlertStateList, and
 * AlertAckRequest → acknowledged AlertState).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  constructEventFilter,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type UserIdentityInfo,
  UserTokenType,
  type Variant,
} from 'node-opcua';
import pino from 'pino';
import type { AlertAckRequest, AlertState, AlertStateList } from '../../protocols/dashboard/messages.ts';
import { AlertMessage, SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { DashboardTopic, GateTopic } from '../../protocols/topics.ts';
import { parseHubConfig } from '../../hub/config/load.ts';
import type { OpcuaConfigInput } from '../../hub/opcua/config.ts';
import { createHub, type Hub } from '../../hub/hub.ts';
import { connect, SITE, tempDir, writeCredentials } from '../hub/fixture.ts';

export interface OpcuaTestHub {
  hub: Hub;
  url: string;
  endpointUrl: string;
  dir: string;
  passwords: Record<string, string>;
  /** Every log line of the hub (pino objects), for the audit trail. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A pino logger that keeps every line as an object (the hub's audit trail is asserted on them). */
export function capturingLogger(): { log: pino.Logger; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { log, logs };
}

export async function startOpcuaHub(
  opcua: Partial<OpcuaConfigInput>,
  dir = tempDir('tg-opcua-'),
): Promise<OpcuaTestHub> {
  mkdirSync(dir, { recursive: true });
  const credentialsFile = join(dir, 'credentials.json');
  const passwords = await writeCredentials(credentialsFile);
  const { log, logs } = capturingLogger();
  const config = parseHubConfig({
    siteId: SITE,
    mqtt: { host: '127.0.0.1', port: 0 },
    credentialsFile,
    persistenceDir: join(dir, 'data'),
    fleet: { heartbeatTimeoutMs: 3000, publishIntervalMs: 100 },
    watchIntervalMs: 100,
    opcua: { enabled: true, port: 0, host: '127.0.0.1', hostname: '127.0.0.1', ...opcua },
  });
  const hub = await createHub(config, { log });
  const { port } = await hub.listen();
  return {
    hub,
    url: `mqtt://127.0.0.1:${port}`,
    endpointUrl: hub.opcua?.endpointUrl as string,
    dir,
    passwords,
    logs,
    close: () => hub.close(),
  };
}

export interface UaSession {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

/**
 * A client session. `pki` is the client's own certificate store (its certificate is created there
 * on first use); the test client trusts the hub's certificate on first sight.
 */
export async function uaSession(
  endpointUrl: string,
  o: {
    pki: string;
    mode?: keyof typeof MessageSecurityMode;
    user?: { userName: string; password: string };
  },
): Promise<UaSession> {
  const mode = o.mode ?? 'None';
  const client = OPCUAClient.create({
    applicationName: 'ThermoGate test client',
    applicationUri: 'urn:thermogate:test-client',
    endpointMustExist: false,
    securityMode: MessageSecurityMode[mode],
    securityPolicy: mode === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager: new OPCUACertificateManager({
      rootFolder: o.pki,
      automaticallyAcceptUnknownCertificate: true,
    }),
  });
  try {
    await client.connect(endpointUrl);
    const identity: UserIdentityInfo = o.user
      ? { type: UserTokenType.UserName, userName: o.user.userName, password: o.user.password }
      : { type: UserTokenType.Anonymous };
    const session = await client.createSession(identity);
    return {
      client,
      session,
      async close() {
        await session.close().catch(() => undefined);
        await client.disconnect();
      },
    };
  } catch (e) {
    await client.disconnect().catch(() => undefined);
    throw e;
  }
}

export const EVENT_FIELDS = [
  'EventId',
  'EventType',
  'SourceName',
  'Message',
  'Severity',
  'ConditionName',
  'ActiveState.Id',
  'AckedState.Id',
  'Retain',
  'ConditionId',
  'Time',
  'ClientUserId',
  'Comment',
] as const;
export type UaEvent = Record<(typeof EVENT_FIELDS)[number], unknown>;

/** Events of `nodeId` (an event notifier), as plain objects keyed by EVENT_FIELDS. */
export async function monitorEvents(sub: ClientSubscription, nodeId: string): Promise<UaEvent[]> {
  const events: UaEvent[] = [];
  const item = await sub.monitor(
    { nodeId, attributeId: AttributeIds.EventNotifier },
    {
      queueSize: 1000,
      filter: constructEventFilter([...EVENT_FIELDS]),
      samplingInterval: 0,
      discardOldest: true,
    },
    TimestampsToReturn.Both,
  );
  item.on('changed', (values: unknown) => {
    const vs = values as Variant[];
    events.push(Object.fromEntries(EVENT_FIELDS.map((f, i) => [f, vs[i]?.value])) as UaEvent);
  });
  return events;
}

export const text = (v: unknown): string | undefined =>
  (v as { text?: string } | undefined)?.text ?? undefined;

/**
 * Plays the dashboard on the wire: turns the gates' fever alerts into AlertStates, acknowledges on
 * an AlertAckRequest, and lets a test raise, acknowledge or clear alerts of any kind.
 */
export class FakeDashboard {
  readonly states = new Map<string, AlertState>();
  readonly ackRequests: AlertAckRequest[] = [];
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly password: string,
  ) {}

  async start(): Promise<void> {
    const c = await connect(this.url, {
      username: 'dash',
      password: this.password,
      clientId: 'dash-fake',
      reconnectPeriod: 0,
    });
    this.client = c;
    c.on('message', (topic, payload) => {
      if (topic === DashboardTopic.alertAck(SITE)) {
        const req = JSON.parse(payload.toString()) as AlertAckRequest;
        this.ackRequests.push(req);
        this.acknowledge(req.alertId, req.by);
        return;
      }
      const alert = AlertMessage.safeParse(JSON.parse(payload.toString()));
      if (alert.success && alert.data.kind === 'fever' && alert.data.active)
        this.raise({
          id: alert.data.id,
          gateId: alert.data.gateId,
          kind: 'fever',
          severity: 'critical',
          temperatureTenths: alert.data.temperatureTenths,
          employeeNo: alert.data.employeeNo,
          name: alert.data.name,
        });
    });
    await c.subscribeAsync([GateTopic.alert(SITE, '+'), DashboardTopic.alertAck(SITE)], { qos: 1 });
  }

  raise(a: Pick<AlertState, 'id' | 'gateId' | 'kind' | 'severity'> & Partial<AlertState>): AlertState {
    const now = Date.now();
    const s: AlertState = {
      v: SCHEMA_VERSION,
      siteId: SITE,
      state: 'active-unacknowledged',
      raisedAt: now,
      updatedAt: now,
      occurrences: 1,
      employeeNo: null,
      name: null,
      temperatureTenths: null,
      roomId: null,
      stage: null,
      acknowledgedBy: null,
      acknowledgedAt: null,
      clearedAt: null,
      disposition: null,
      escalated: false,
      detail: '',
      ...a,
    };
    this.publish(s);
    return s;
  }

  acknowledge(id: string, by: string): void {
    const s = this.states.get(id);
    if (s?.state !== 'active-unacknowledged') return;
    const now = Date.now();
    this.publish({
      ...s,
      state: 'active-acknowledged',
      acknowledgedBy: by,
      acknowledgedAt: now,
      updatedAt: now,
    });
  }

  clear(id: string): void {
    const s = this.states.get(id);
    if (!s) return;
    const now = Date.now();
    this.publish({ ...s, state: 'cleared', clearedAt: now, updatedAt: now });
  }

  private publish(s: AlertState): void {
    const c = this.client as MqttClient;
    if (s.state === 'cleared') this.states.delete(s.id);
    else this.states.set(s.id, s);
    c.publish(DashboardTopic.alert(SITE), JSON.stringify(s), { qos: 1 });
    const list: AlertStateList = {
      v: SCHEMA_VERSION,
      siteId: SITE,
      at: s.updatedAt,
      alerts: [...this.states.values()],
    };
    c.publish(DashboardTopic.alerts(SITE), JSON.stringify(list), { qos: 1, retain: true });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }
}
