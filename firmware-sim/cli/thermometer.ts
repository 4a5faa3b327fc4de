/** `sim thermometer`: one simulated thermometer on a serial path or a TCP port, until Ctrl-C. */
import { SUPPORTED_BAUD_RATES as GY_BAUDS } from '../../protocols/gy-mlx90615/index.ts';
import { toHex } from '../../protocols/hex.ts';
import { DEFAULT_TCP_PORT, SUPPORTED_BAUD_RATES as MODBUS_BAUDS } from '../../protocols/modbus-ir/index.ts';
import { formatTenths } from '../../protocols/temperature.ts';
import { type Endpoint, formatEndpoint, parseTcpAddress } from '../endpoint.ts';
import { ThermometerSim, type ThermometerProtocol } from '../thermometer-sim.ts';
import { sleepUnlessAborted } from '../time.ts';
import { badArgs, celsiusArg, intArg, oneOf, parse, untilSignal } from './args.ts';
import { say } from './print.ts';

export const THERMOMETER_HELP = `Usage: npm run sim -- thermometer [options]

Simulates one infrared thermometer (devices.md §1 or §2) until Ctrl-C.

  --protocol P      modbus-ir (default) or gy-mlx90615
  --serial PATH     open this tty (e.g. one end of a socat pty pair); reopened if it vanishes
  --tcp HOST:PORT   listen as a serial device server instead (default 127.0.0.1:${DEFAULT_TCP_PORT})
  --celsius N       body temperature to report (default 36.6)
  --ambient N       ambient temperature (default 25.1)
  --interval MS     modbus-ir: a new person is measured every MS (default 2000)
  --settle MS       modbus-ir: time from target present to completed measurement (default 300)
  --slave N         modbus-ir slave address, 1..247 (default 1)
  --baud N          serial baud rate (default 9600; modbus-ir 4800..115200, gy 9600 or 115200)
  --offset N        modbus-ir: initial compensation offset register, °C (default 0)
  --verbose         print every request and answer
  -h, --help        this text

Examples:
  npm run sim -- thermometer --tcp 127.0.0.1:4001 --celsius 36.6
  npm run sim -- thermometer --protocol gy-mlx90615 --serial /tmp/pty/a --celsius 37.2`;

export async function thermometerCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    protocol: { type: 'string' },
    serial: { type: 'string' },
    tcp: { type: 'string' },
    celsius: { type: 'string' },
    ambient: { type: 'string' },
    interval: { type: 'string' },
    settle: { type: 'string' },
    slave: { type: 'string' },
    baud: { type: 'string' },
    offset: { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(THERMOMETER_HELP);
    return 0;
  }
  const protocol =
    oneOf<ThermometerProtocol>('protocol', v.protocol, ['modbus-ir', 'gy-mlx90615']) ?? 'modbus-ir';
  if (v.serial !== undefined && v.tcp !== undefined) badArgs('give either --serial or --tcp, not both');
  const endpoint: Endpoint =
    v.serial !== undefined
      ? { kind: 'serial', path: v.serial || badArgs('--serial needs a path') }
      : { kind: 'tcp', ...parseTcpAddress(v.tcp ?? String(DEFAULT_TCP_PORT)) };
  const bodyTenths = celsiusArg('celsius', v.celsius) ?? 366;
  const ambientTenths = celsiusArg('ambient', v.ambient) ?? 251;
  const interval = intArg('interval', v.interval, 100, 3_600_000) ?? 2000;
  const settle = intArg('settle', v.settle, 0, 60_000) ?? 300;
  const slave = intArg('slave', v.slave, 1, 247) ?? 1;
  const baud = intArg('baud', v.baud, 1200, 921600) ?? 9600;
  const bauds: readonly number[] = protocol === 'modbus-ir' ? MODBUS_BAUDS : GY_BAUDS;
  if (!bauds.includes(baud))
    badArgs(`--baud for ${protocol} must be one of ${bauds.join(', ')}, got ${baud}`);
  const offset = celsiusArg('offset', v.offset);
  if (offset !== undefined && (offset < -100 || offset > 100)) badArgs('--offset must be -10.0..10.0 °C');
  if (settle >= interval) badArgs('--settle must be shorter than --interval');

  const sim = new ThermometerSim({
    protocol,
    endpoint,
    slave,
    baudRate: baud,
    settleMs: settle,
    ambientTenths,
    offsetTenths: offset,
    onExchange: v.verbose
      ? (rq, an) => say(`rx ${toHex(rq)}  tx ${an ? toHex(an) : '(no answer)'}`)
      : undefined,
    // Queries may come every 100 ms: print them only with --verbose; mode changes always.
    onCommand: (name) => {
      if (name !== 'Query' || v.verbose) say(`command ${name}`);
    },
  });
  const link = sim.link as unknown as NodeJS.EventEmitter;
  link.on('open', () => say(`${formatEndpoint(endpoint)} open`));
  link.on('close', () => say(`${formatEndpoint(endpoint)} closed; reopening`));
  link.on('listening', (port: number) =>
    say(`listening on ${endpoint.kind === 'tcp' ? endpoint.host : ''}:${port}`),
  );
  link.on('connection', () => say('host connected'));
  link.on('disconnect', () => say('host disconnected'));
  await sim.start();
  say(
    `${protocol} thermometer on ${formatEndpoint(endpoint)}${protocol === 'modbus-ir' ? ` slave ${slave}` : ''}, body ${formatTenths(bodyTenths)}°C`,
  );

  const stop = new AbortController();
  let loop: Promise<void> = Promise.resolve();
  if (sim.modbus) {
    const m = sim.modbus;
    loop = (async () => {
      try {
        for (;;) {
          const started = Date.now();
          const r = await m.presentTarget({ bodyTenths, settleMs: settle });
          if (r.completed)
            say(
              `measurement seq ${r.sequence}: ${formatTenths(r.reportedTenths)}°C status 0x${r.statusBits.toString(16).padStart(4, '0')}`,
            );
          else say(`measurement aborted (${r.abortedBy})`);
          // The person stands there for most of the interval, then leaves before the next one.
          await sleepUnlessAborted(Math.max(0, interval * 0.75 - (Date.now() - started)), stop.signal);
          m.removeTarget();
          await sleepUnlessAborted(Math.max(0, interval - (Date.now() - started)), stop.signal);
        }
      } catch {
        /* aborted */
      }
    })();
  } else {
    sim.gy?.setObject(bodyTenths * 10);
    sim.gy?.setAmbient(ambientTenths * 10);
    say(`GY module reports ${formatTenths(bodyTenths)}°C to queries and in continuous mode`);
  }
  const sig = await untilSignal();
  say(`${sig}: stopping`);
  stop.abort();
  await loop;
  await sim.stop();
  return 0;
}
