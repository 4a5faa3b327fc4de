/**
 * The edge's end of the simulated gate I/O wire (protocols/gate/gpio-sim.ts), reduced to what tests
 * of the GPIO peer and the scenario need: a snapshot on connect, output changes on demand, and a
 * record of the inputs the peer drove.
 */
import net from 'node:net';
import {
  encodeLine,
  GpioSimClientMessage,
  type InputLine,
  LineSplitter,
  type OutputLine,
} from '../../../protocols/gate/gpio-sim.ts';

type Level = 0 | 1;

export interface FakeGpioEdge {
  readonly port: number;
  readonly inputs: { line: InputLine; value: Level; at: number }[];
  setOutput(line: OutputLine, value: Level): void;
  /** release high for `ms`, then low (what the edge does on a pass). */
  pulseRelease(ms: number): void;
  /** Rising edges seen on an input. */
  pulses(line: InputLine): number;
  clientCount(): number;
  close(): Promise<void>;
}

export async function startFakeGpioEdge(port = 0): Promise<FakeGpioEdge> {
  const outputs: Record<OutputLine, Level> = { release: 0, green: 0, red: 1, buzzer: 0 };
  const inputState: Record<InputLine, Level> = { passage: 0, fireAlarm: 0 };
  const inputs: FakeGpioEdge['inputs'] = [];
  const clients = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((sock) => {
    clients.add(sock);
    sock.setEncoding('utf8');
    sock.write(
      encodeLine({ t: 'snapshot', outputs: { ...outputs }, inputs: { ...inputState }, at: Date.now() }),
    );
    const splitter = new LineSplitter();
    sock.on('data', (text: string) => {
      for (const line of splitter.push(text)) {
        const m = GpioSimClientMessage.safeParse(JSON.parse(line));
        if (!m.success) continue;
        inputState[m.data.line] = m.data.value;
        inputs.push({ line: m.data.line, value: m.data.value, at: Date.now() });
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => clients.delete(sock));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  const setOutput = (line: OutputLine, value: Level) => {
    outputs[line] = value;
    for (const c of clients) c.write(encodeLine({ t: 'out', line, value, at: Date.now() }));
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    inputs,
    setOutput,
    pulseRelease(ms) {
      setOutput('release', 1);
      const t = setTimeout(() => {
        timers.delete(t);
        setOutput('release', 0);
      }, ms);
      timers.add(t);
    },
    pulses: (line) => inputs.filter((i) => i.line === line && i.value === 1).length,
    clientCount: () => clients.size,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const c of clients) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
