/**
 * The hub's OPC UA server (node-opcua): wires the site model, the alert mirror and the gate
 * commands to an address space, with users, roles and security policies from the config.
 * Imported only through index.ts's dynamic import, so node-opcua loads only when enabled.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import {
  type CallMethodResultOptions,
  type ISessionContext,
  MessageSecurityMode,
  makeRoles,
  nodesets,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  type StatusCode,
  StatusCodes,
  setErrorLogger,
  setWarningLogger,
  UserNameIdentityToken,
  WellKnownRoles,
} from 'node-opcua';
import type { AlertAckRequest } from '../../protocols/dashboard/messages.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { DashboardTopic } from '../../protocols/topics.ts';
import type { Logger } from '../log.ts';
import { type MethodHandler, SiteNodes } from './address-space.ts';
import { AlertMirror } from './alert-mirror.ts';
import { CommandDispatcher } from './commands.ts';
import { Conditions } from './conditions.ts';
import { certificateFolder, type OpcuaConfig } from './config.ts';
import { OpcuaError, OpcuaErrorCode } from './errors.ts';
import { createFeed, feedFilters } from './feed.ts';
import type { OpcuaHost, OpcuaServerHandle } from './host.ts';
import { GATE_FIELDS, SiteModel } from './site-model.ts';
import { loadUsers } from './users.ts';

/** Day roll-over of PassedToday/FlaggedToday is checked this often. */
const TICK_MS = 5000;
/** Clients get this long to notice the server going away (ServerState Shutdown) on close. */
const SHUTDOWN_GRACE_MS = 200;

interface Who {
  username: string | null;
  /** `opcua:<username>` or `opcua:anonymous`: the `by` of commands and acknowledgements. */
  by: string;
  mode: MessageSecurityMode;
}

function whoIs(context: ISessionContext): Who {
  const token = context.session?.userIdentityToken;
  const username = token instanceof UserNameIdentityToken && token.userName ? token.userName : null;
  return {
    username,
    by: username ? `opcua:${username}` : 'opcua:anonymous',
    mode: context.session?.channel?.securityMode ?? MessageSecurityMode.Invalid,
  };
}

/**
 * node-opcua prints its warnings on the console; the hub's logs are pino JSON on stderr. Its
 * loggers get `({ filename, callerline }, ...message)`.
 */
function routeLibraryLogs(log: Logger): void {
  const entry = (args: unknown[]) => {
    const [ctx, ...rest] = args as [{ filename?: string; callerline?: number }, ...unknown[]];
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the library's ANSI colours
    const msg = format(...rest).replace(/\u001b\[[0-9;]*m/g, '');
    return { obj: { lib: 'node-opcua', at: `${ctx?.filename}:${ctx?.callerline}` }, msg };
  };
  setWarningLogger((...args: unknown[]) => {
    const { obj, msg } = entry(args);
    // The Node 20 RSA PKCS#1 v1.5 note concerns Basic128Rsa15, which the hub never offers.
    if (/W27|security-revert|node version/.test(msg)) log.debug(obj, msg);
    else log.warn(obj, msg);
  });
  setErrorLogger((...args: unknown[]) => {
    const { obj, msg } = entry(args);
    log.error(obj, msg);
  });
}

export async function startOpcuaServer(config: OpcuaConfig, host: OpcuaHost): Promise<OpcuaServerHandle> {
  const { siteId, log } = host;
  routeLibraryLogs(log);
  const users = await loadUsers(config.users, host.now);
  const pki = certificateFolder(config, host.persistenceDir);
  mkdirSync(pki, { recursive: true, mode: 0o700 });

  /** Sessions whose login was throttled: answered BadTooManySessions instead of BadUserAccessDenied. */
  const throttled = new WeakSet<object>();
  const server = new OPCUAServer({
    port: config.port,
    ...(config.host ? { host: config.host } : {}),
    ...(config.hostname ? { hostname: config.hostname } : {}),
    nodeset_filename: [nodesets.standard],
    // Both certificate stores in the hub's data, never node-opcua's default in the home folder.
    serverCertificateManager: new OPCUACertificateManager({
      name: 'server',
      rootFolder: join(pki, 'server'),
      automaticallyAcceptUnknownCertificate: config.trustUnknownClientCertificates,
    }),
    userCertificateManager: new OPCUACertificateManager({
      name: 'user',
      rootFolder: join(pki, 'user'),
      automaticallyAcceptUnknownCertificate: false,
    }),
    securityPolicies: config.securityPolicies.map((p) => SecurityPolicy[p]),
    securityModes: config.securityModes.map((m) => MessageSecurityMode[m]),
    allowAnonymous: config.allowAnonymous,
    userManager: {
      isValidUserAsync(
        this: unknown,
        username: string,
        password: string,
        cb: (err: Error | null, ok?: boolean) => void,
      ) {
        // node-opcua calls this with the session as `this`; its channel knows the peer.
        const session = this as { channel?: { remoteAddress?: string } } | undefined;
        const address = session?.channel?.remoteAddress ?? 'unknown';
        users.verify(username, password, address).then(
          (r) => {
            if (r === 'throttled') {
              if (session && typeof session === 'object') throttled.add(session);
              log.warn({ code: OpcuaErrorCode.LOGIN_THROTTLED, username, address }, 'opcua login throttled');
            } else if (r === 'refused')
              log.warn({ code: OpcuaErrorCode.LOGIN_REFUSED, username, address }, 'opcua login refused');
            cb(null, r === 'ok');
          },
          (e: Error) => cb(e),
        );
      },
      getUserRoles: (username: string) =>
        makeRoles([
          WellKnownRoles.AuthenticatedUser,
          users.roles(username).includes('operator') ? WellKnownRoles.Operator : WellKnownRoles.Observer,
        ]),
    },
    serverInfo: {
      applicationUri: `urn:thermogate:hub:${siteId}`,
      productUri: 'urn:thermogate:hub',
      applicationName: { text: `ThermoGate hub ${siteId}`, locale: 'en' },
    },
    buildInfo: {
      productName: 'ThermoGate hub',
      productUri: 'urn:thermogate:hub',
      manufacturerName: 'ThermoGate',
      softwareVersion: host.softwareVersion,
    },
  });
  // node-opcua answers every failed user check BadUserAccessDenied; a throttled login must say
  // "come back later" instead (issue #20). The user check's callback takes a status code as its
  // third argument (isUserAuthorized passes it to rejectConnection), so wrap the method that calls
  // our userManager and hand one over for the sessions marked throttled above.
  const srv = server as unknown as {
    userNameIdentityTokenAuthenticateUser: (
      channel: unknown,
      session: object,
      policy: unknown,
      token: unknown,
      cb: (err: Error | null, ok?: boolean, status?: unknown) => void,
    ) => void;
  };
  const authenticate = srv.userNameIdentityTokenAuthenticateUser.bind(server);
  srv.userNameIdentityTokenAuthenticateUser = (channel, session, policy, token, cb) =>
    authenticate(channel, session, policy, token, (err, ok) => {
      if (!err && !ok && throttled.has(session)) {
        throttled.delete(session);
        cb(null, false, StatusCodes.BadTooManySessions);
      } else cb(err, ok);
    });
  try {
    await server.initialize();
  } catch (e) {
    throw new OpcuaError(OpcuaErrorCode.START_FAILED, `initialize: ${(e as Error).message}`);
  }
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new OpcuaError(OpcuaErrorCode.START_FAILED, 'no address space');
  const ns = addressSpace.registerNamespace(`urn:thermogate:site:${siteId}`);

  const operatorRank = MessageSecurityMode[config.operatorSecurityMode];
  /** null when `who` may act, else the status to answer. */
  const refusal = (who: Who): StatusCode | null => {
    if (!users.isOperator(who.username)) return StatusCodes.BadUserAccessDenied;
    if (who.mode < operatorRank) return StatusCodes.BadSecurityModeInsufficient;
    return null;
  };

  const commands = new CommandDispatcher({
    siteId,
    timeoutMs: config.commandTimeoutMs,
    publish: (topic, payload) => host.publish(topic, payload, { qos: 1 }),
    now: host.now,
  });

  const onMethod: MethodHandler = async (gateId, kind, args, context): Promise<CallMethodResultOptions> => {
    const who = whoIs(context);
    const raw = args[0]?.value as unknown;
    const reason = typeof raw === 'string' ? raw.trim() : '';
    const audit = { audit: 'opcua-command', who: who.by, what: kind, gateId, reason };
    const answer = (statusCode: StatusCode, extra: object = {}): CallMethodResultOptions => {
      const entry = { ...audit, result: statusCode.name, ...extra };
      if (statusCode.isGood()) log.info(entry, 'opcua command done');
      else log.warn(entry, 'opcua command refused or failed');
      return statusCode.isGood() ? { statusCode, outputArguments: [] } : { statusCode };
    };
    const denied = refusal(who);
    if (denied) return answer(denied, { code: OpcuaErrorCode.ACCESS_DENIED });
    if (reason.length > 200 || (kind === 'open-once' && !reason))
      return answer(StatusCodes.BadInvalidArgument, {
        detail: 'reason: required for OpenOnce, 200 characters at most',
      });
    // A command queued for an offline gate would run whenever it comes back: refuse it now.
    if (!site.isOnline(gateId)) return answer(StatusCodes.BadCommunicationError, { detail: 'gate offline' });
    const out = await commands.send(gateId, kind, reason, who.by);
    if (out.ok) return answer(StatusCodes.Good, { commandId: out.id, ms: out.ms });
    const status =
      out.why === 'timeout'
        ? StatusCodes.BadTimeout
        : out.why === 'failed'
          ? StatusCodes.BadInvalidState
          : StatusCodes.BadInternalError;
    return answer(status, {
      code: out.why === 'timeout' ? OpcuaErrorCode.COMMAND_TIMEOUT : OpcuaErrorCode.COMMAND_FAILED,
      commandId: out.id,
      ms: out.ms,
      error: out.error,
    });
  };

  const nodes = new SiteNodes(ns, {
    siteId,
    timeZone: host.timeZone,
    temperatureRange: config.temperatureRange,
    onMethod,
  });
  const site = new SiteModel({
    timeZone: host.timeZone,
    now: host.now,
    onGate: (gateId) => {
      nodes.addGate(gateId);
      for (const f of GATE_FIELDS) nodes.setValue(gateId, f, site.value(gateId, f));
    },
    onChange: (gateId, fields) => {
      for (const f of fields) nodes.setValue(gateId, f, site.value(gateId, f));
    },
  });
  const mirror = new AlertMirror(host.now);
  const conditions = new Conditions(ns, nodes, {
    siteId,
    ack: {
      authorize(context, action, target) {
        const who = whoIs(context);
        const denied = refusal(who);
        if (denied)
          log.warn(
            {
              audit: 'opcua-ack',
              code: OpcuaErrorCode.ACCESS_DENIED,
              who: who.by,
              what: action,
              alertId: target,
              result: denied.name,
            },
            'opcua alarm action refused',
          );
        return denied;
      },
      acknowledge(alertId, context, comment) {
        const who = whoIs(context);
        const view = mirror.acknowledgeLocally(alertId, who.by);
        if (!view) return undefined;
        const req: AlertAckRequest = {
          v: SCHEMA_VERSION,
          alertId,
          by: who.by,
          comment: comment.slice(0, 200),
          at: host.now(),
        };
        host
          .publish(DashboardTopic.alertAck(siteId), JSON.stringify(req), { qos: 1 })
          .catch((e: Error) => log.error({ alertId, err: e.message }, 'alert acknowledgement not published'));
        log.info(
          {
            audit: 'opcua-ack',
            who: who.by,
            what: 'acknowledge',
            alertId,
            gateId: view.gateId,
            comment,
            result: 'Good',
          },
          'opcua alarm acknowledged',
        );
        return view;
      },
    },
  });

  let closed = false;
  const apply = (actions: Parameters<Conditions['apply']>[0]) => {
    for (const a of actions) site.ensure(a.view.gateId);
    conditions.apply(actions);
  };
  const feed = createFeed({ siteId, model: site, mirror, commands, apply, log });
  const onMessage = (topic: string, payload: Buffer) => {
    if (closed) return;
    try {
      feed(topic, payload);
    } catch (e) {
      // One bad message must not take the broker's delivery (or the hub) down with it.
      log.error({ topic, err: (e as Error).message }, 'opcua feed failed on a message');
    }
  };
  const filters = feedFilters(siteId);
  // Live first, then the retained seed: nothing falls in between, and the model keeps the newest.
  const unsubscribes = await Promise.all(filters.live.map((f) => host.subscribe(f, onMessage)));
  for await (const p of host.retained(filters.retained)) onMessage(p.topic, p.payload);

  const onFleet = (snapshot: ReturnType<OpcuaHost['fleet']['snapshot']>) => {
    if (closed) return;
    for (const g of snapshot.gates) site.setOnline(g.gateId, g.online, g.since);
  };
  onFleet(host.fleet.snapshot());
  const offFleet = host.fleet.onChange(onFleet);
  const tick = setInterval(() => site.tick(), TICK_MS);

  try {
    await server.start();
  } catch (e) {
    // node-opcua has shut itself down already; undo our side (the hub stops with this error).
    closed = true;
    clearInterval(tick);
    offFleet();
    await Promise.all(unsubscribes.map((u) => u()));
    commands.close();
    conditions.close();
    throw new OpcuaError(
      OpcuaErrorCode.START_FAILED,
      `listen on port ${config.port}: ${(e as Error).message}`,
    );
  }
  const endpointUrl = server.getEndpointUrl();
  log.info(
    {
      endpointUrl,
      securityPolicies: config.securityPolicies,
      securityModes: config.securityModes,
      allowAnonymous: config.allowAnonymous,
      users: config.users.length,
      certificateFolder: pki,
    },
    'opcua listening',
  );

  return {
    endpointUrl,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      offFleet();
      await Promise.all(unsubscribes.map((u) => u()));
      commands.close();
      conditions.close();
      await server.shutdown(SHUTDOWN_GRACE_MS);
      log.info('opcua stopped');
    },
  };
}
