import { FaceTerminal, type PresentResult } from '../face/terminal.ts';
import { parseUtcOffset } from '../time.ts';
import { badArgs, intArg, oneOf, parse } from './args.ts';
import { say } from './print.ts';
import { PERSON_OPTIONS, personArgs, presentUntilStopped } from './show-person.ts';

export const TERMINAL_HELP = `Usage: npm run sim -- terminal --broker URL --device-id ID [options]

Simulates one face-recognition terminal (devices.md §3) until Ctrl-C: connects with client id = ID,
publishes retained "online" (last will "offline"), and presents a person every --every ms.

  --broker URL        MQTT broker, e.g. mqtt://127.0.0.1:1883 (required)
  --device-id ID      terminal id, letters/digits/-/_ (required)
  --username U        MQTT username      --password P   MQTT password
  --employee E        employee number of the person shown (default E10023)
  --name NAME         their name (default 张伟)
  --unknown           the face is not recognised (employeeNoString "")
  --mask M            yes (default), no or unknown
  --celsius N         the terminal has a built-in thermometer and reads N °C
  --unit U            unit of the built-in thermometer: celsius (default), fahrenheit, kelvin
  --health-code C     green, yellow or red (terminals with a QR reader)
  --every MS          one event every MS (default 5000)
  --count N           stop after N events (default: run until Ctrl-C)
  --local             remoteCheck false: decide locally, wait only for the ack
  --timeout MS        remoteCheckTimeout (default 3000)
  --utc-offset OFF    site's UTC offset for dateTime (default +08:00)
  -h, --help          this text

Example:
  npm run sim -- terminal --broker mqtt://127.0.0.1:1883 --device-id term-1 --employee E10023 --celsius 36.6 --every 3000`;

function describe(r: PresentResult): string {
  if (!r.realtime) return 'broker unreachable: cached for re-upload (isRealtime false)';
  if (r.event.remoteCheck) {
    if (!r.verdict) return 'no verdict in time: DENIED (turnstile stays shut)';
    return `verdict ${r.verdict.checkResult} open=${r.verdict.open} "${r.verdict.display}" → ${r.opened ? 'OPEN' : 'SHUT'}`;
  }
  return `local decision ${r.opened ? 'OPEN' : 'SHUT'}, ${r.acked ? 'acked' : 'no ack'}`;
}

export async function terminalCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    broker: { type: 'string' },
    'device-id': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    ...PERSON_OPTIONS,
    unit: { type: 'string' },
    'health-code': { type: 'string' },
    local: { type: 'boolean' },
    timeout: { type: 'string' },
    'utc-offset': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(TERMINAL_HELP);
    return 0;
  }
  if (!v.broker) badArgs('--broker URL is required (e.g. mqtt://127.0.0.1:1883)');
  if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(v.broker))
    badArgs(`--broker must be a URL like mqtt://HOST:PORT, got ${JSON.stringify(v.broker)}`);
  const deviceId = v['device-id'] ?? badArgs('--device-id ID is required');
  const show = personArgs(v);
  const unit = oneOf('unit', v.unit, ['celsius', 'fahrenheit', 'kelvin'] as const);
  const healthCode = oneOf('health-code', v['health-code'], ['green', 'yellow', 'red'] as const);
  const { temperatureTenths } = show.person;
  if (unit && temperatureTenths === undefined)
    badArgs('--unit needs --celsius (a built-in thermometer reading)');
  const timeout = intArg('timeout', v.timeout, 100, 60_000) ?? 3000;
  const utcOffset = v['utc-offset'] ?? '+08:00';
  try {
    parseUtcOffset(utcOffset);
  } catch (err) {
    badArgs(`--utc-offset: ${(err as Error).message}`);
  }

  let terminal: FaceTerminal;
  try {
    terminal = new FaceTerminal({
      brokerUrl: v.broker,
      deviceId,
      username: v.username,
      password: v.password,
      utcOffset,
      remoteCheck: !v.local,
      remoteCheckTimeoutMs: timeout,
      thermometer: temperatureTenths !== undefined ? { unit: unit ?? 'celsius' } : undefined,
    });
  } catch (err) {
    return badArgs((err as Error).message);
  }
  terminal.on('online', () => say(`${deviceId} online (status retained, will "offline")`));
  terminal.on('offline', () => say(`${deviceId} offline`));
  terminal.on('reuploaded', (e: { serialNo: number }) => say(`re-upload #${e.serialNo} (isRealtime false)`));
  terminal.on('ack', (n: number) => say(`ack #${n}`));
  await terminal.start();
  say(`terminal ${deviceId} → ${v.broker}`);
  // Give the first connection a moment, so the first event is not needlessly an offline record.
  await terminal.waitOnline(3000).catch(() => say('broker not reachable yet: events are cached until it is'));
  return presentUntilStopped({ ...show, person: { ...show.person, healthCode } }, terminal, describe);
}
