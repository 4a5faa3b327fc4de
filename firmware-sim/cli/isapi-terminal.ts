import { parseTcpAddress } from '../endpoint.ts';
import { type IsapiPresentResult, IsapiTerminal } from '../isapi/terminal.ts';
import { badArgs, intArg, oneOf, parse } from './args.ts';
import { say } from './print.ts';
import { PERSON_OPTIONS, personArgs, presentUntilStopped } from './show-person.ts';

export const ISAPI_TERMINAL_HELP = `Usage: npm run sim -- isapi-terminal --password P (--push URL | --pull) [options]

Simulates one face terminal that speaks the vendor's HTTP API, ISAPI (devices.md §5), until Ctrl-C:
its own web server with HTTP Digest (PUT /ISAPI/AccessControl/remoteCheck, GET /ISAPI/System/deviceInfo,
GET /ISAPI/Event/notification/alertStream, the UserInfo person list), and an access-control event every --every ms, pushed
as multipart (event_log + a small JPEG) to the listening host, or streamed to alert-stream readers.
With remote verification it waits --timeout ms for the remoteCheck, then denies. Events it could not
deliver are kept and re-sent (activePostCount + 1).

  --listen HOST:PORT  its web server (default 127.0.0.1:8080)
  --username U        Digest user (default admin)      --password P   Digest password (required)
  --push URL          the gate's listening host, e.g. http://127.0.0.1:8099/isapi/event
  --pull              no pushes: events go to GET /ISAPI/Event/notification/alertStream readers
  --part-name N       event_log (default) or AccessControllerEvent
  --json-only         push the JSON alone (application/json), as some firmwares do
  --employee E        employee number of the person shown (default E10023)
  --name NAME         their name (default 张伟)
  --unknown           the face matches nobody (event 5/76)
  --mask M            yes (default), no or unknown
  --celsius N         the terminal's own thermometer reads N °C
  --every MS          one event every MS (default 5000)
  --count N           stop after N events (default: run until Ctrl-C)
  --local             remote verification off (no remoteCheck expected)
  --timeout MS        remoteCheckTimeout (default 3000)
  --person-list       match faces only against its own person list (UserInfo Record/Modify/Delete/Search,
                      kept by a gate with terminal.personSync on): --employee is an unknown face until
                      the gate has recorded them, and again once HR removed them
  -h, --help          this text

Example (one edge with terminal.protocol hik-isapi, address http://127.0.0.1:8080):
  npm run sim -- isapi-terminal --password 'Terminal-1' --push http://127.0.0.1:8099/isapi/event --celsius 36.6 --every 3000
Check its Digest from a shell:
  curl --digest -u admin:Terminal-1 http://127.0.0.1:8080/ISAPI/System/deviceInfo`;

function describe(r: IsapiPresentResult): string {
  if (!r.realtime) return 'not delivered: kept for re-sending (activePostCount + 1)';
  if (!r.verdict)
    return r.timedOut
      ? 'no remoteCheck in time: DENIED (turnstile stays shut)'
      : 'delivered (local decision)';
  return `remoteCheck ${r.verdict.checkResult} "${r.verdict.info ?? ''}" → ${r.opened ? 'OPEN' : 'SHUT'}`;
}

export async function isapiTerminalCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    listen: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    push: { type: 'string' },
    pull: { type: 'boolean' },
    'part-name': { type: 'string' },
    'json-only': { type: 'boolean' },
    ...PERSON_OPTIONS,
    local: { type: 'boolean' },
    timeout: { type: 'string' },
    'person-list': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(ISAPI_TERMINAL_HELP);
    return 0;
  }
  const password = v.password ?? badArgs('--password P is required (the Digest password of the terminal)');
  if (!v.push === !v.pull) badArgs('give exactly one of --push URL and --pull');
  if (v.push && !/^http:\/\/[^/]+\/.*/.test(v.push))
    badArgs(`--push must be an http:// URL with a path, got ${JSON.stringify(v.push)}`);
  let listen: { host: string; port: number };
  try {
    listen = parseTcpAddress(v.listen ?? '127.0.0.1:8080');
  } catch (err) {
    return badArgs(`--listen: ${(err as Error).message}`);
  }
  const partName = oneOf('part-name', v['part-name'], ['event_log', 'AccessControllerEvent'] as const);
  const show = personArgs(v);
  const timeout = intArg('timeout', v.timeout, 1000, 8000) ?? 3000;
  const terminal = new IsapiTerminal({
    host: listen.host,
    port: listen.port,
    username: v.username ?? 'admin',
    password,
    ...(v.push ? { pushUrl: v.push } : {}),
    ...(partName ? { partName } : {}),
    jsonOnly: v['json-only'] === true,
    remoteCheck: !v.local,
    remoteCheckTimeoutMs: timeout,
    enforcePersonList: v['person-list'] === true,
    ...(show.person.temperatureTenths !== undefined ? { thermometer: { unit: 'celsius' as const } } : {}),
  });
  await terminal.start();
  say(
    `ISAPI terminal on ${terminal.address} (Digest user ${terminal.username}) → ${v.push ?? 'alert stream (pull)'}`,
  );
  terminal.on('resent', (n: number) => say(`kept event #${n} delivered`));
  return presentUntilStopped(show, terminal, describe);
}
