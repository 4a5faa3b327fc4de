/**
 * ThermoGate device simulator: `npm run sim -- <thermometer|terminal|isapi-terminal|scenario> [options]`.
 * Exit codes: 0 done, 1 runtime failure, 2 bad arguments or scenario file.
 * Human output (one line per event) on stdout; structured logs (pino) on stderr.
 */
import { ISAPI_TERMINAL_HELP, isapiTerminalCommand } from './cli/isapi-terminal.ts';
import { SCENARIO_HELP, scenarioCommand } from './cli/scenario.ts';
import { TERMINAL_HELP, terminalCommand } from './cli/terminal.ts';
import { THERMOMETER_HELP, thermometerCommand } from './cli/thermometer.ts';
import { SimError, SimErrorCode } from './errors.ts';

const HELP = `Usage: npm run sim -- <command> [options]

Simulates the devices of a ThermoGate entrance (see shared/spec devices.md), as peers on real wires:

  thermometer   an infrared thermometer: Modbus RTU (modbus-ir) or GY-MLX90615, on a tty or TCP
  terminal      a face-recognition terminal on MQTT
  isapi-terminal  a face-recognition terminal on the vendor's HTTP API (ISAPI, Digest, push or pull)
  scenario      people arriving at gate lanes (thermometer + terminal + gate I/O), with faults

Run \`npm run sim -- <command> --help\` for the options of each command.
Set TG_SIM_LOG_LEVEL=debug for detailed logs on stderr.`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  thermometer: { run: thermometerCommand, help: THERMOMETER_HELP },
  terminal: { run: terminalCommand, help: TERMINAL_HELP },
  'isapi-terminal': { run: isapiTerminalCommand, help: ISAPI_TERMINAL_HELP },
  scenario: { run: scenarioCommand, help: SCENARIO_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd === undefined ? 2 : 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`sim: unknown command ${JSON.stringify(cmd)}\n\n${HELP}`);
    return 2;
  }
  try {
    return await c.run(rest);
  } catch (err) {
    if (
      err instanceof SimError &&
      (err.code === SimErrorCode.BAD_ARGS || err.code === SimErrorCode.SCENARIO_INVALID)
    ) {
      console.error(`sim ${cmd}: ${err.message}\nRun \`npm run sim -- ${cmd} --help\` for usage.`);
      return 2;
    }
    console.error(`sim ${cmd}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
