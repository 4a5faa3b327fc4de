import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLine, GpioSimServerMessage, LineSplitter } from '../../protocols/gate/gpio-sim.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { GateIo } from './gate-io.ts';
import { SimGpioBackend } from './sim-backend.ts';

/** A simulator peer speaking the wire protocol: collects server messages, sends raw lines. */
async function connectClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.setEncoding('utf8');
  const messages: GpioSimServerMessage[] = [];
  const waiters: Array<() => void> = [];
  const splitter = new LineSplitter();
  socket.on('data', (chunk: string) => {
    for (const line of splitter.push(chunk)) messages.push(GpioSimServerMessage.parse(JSON.parse(line)));
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    send: (text: string) => socket.write(text),
    /** Resolves once `n` messages have arrived in total. */
    async until(n: number, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${n} messages arrived`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return messages;
    },
    close: () => socket.destroy(),
  };
}

const until = async (cond: () => boolean, what: string, timeoutMs = 2000) => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('SimGpioBackend', () => {
  it('works with no client, then sends a snapshot on connect and every output change to all clients', async () => {
    const clock = new FakeClock(1000);
    const sim = await SimGpioBackend.listen({ port: 0, clock });
    cleanup.push(() => sim.close());
    expect(sim.port).toBeGreaterThan(0);
    sim.write('green', 1); // nobody listening: fine
    const a = await connectClient(sim.port);
    const b = await connectClient(sim.port);
    cleanup.push(a.close, b.close);
    await a.until(1);
    await b.until(1);
    expect(a.messages[0]).toEqual({
      t: 'snapshot',
      outputs: { release: 0, green: 1, red: 0, buzzer: 0 },
      inputs: { passage: 0, fireAlarm: 0 },
      at: 1000,
    });
    sim.write('release', 1);
    sim.write('release', 1); // no change: not sent again
    sim.write('release', 0);
    expect((await a.until(3)).slice(1)).toEqual([
      { t: 'out', line: 'release', value: 1, at: 1000 },
      { t: 'out', line: 'release', value: 0, at: 1000 },
    ]);
    expect((await b.until(3)).length).toBe(3);
  });

  it('applies valid "in" messages to the inputs and ignores bad lines', async () => {
    const sim = await SimGpioBackend.listen();
    cleanup.push(() => sim.close());
    const edges: string[] = [];
    sim.onInput((line, value) => edges.push(`${line}=${value}`));
    const c = await connectClient(sim.port);
    cleanup.push(c.close);
    c.send('not json\n');
    c.send(`${JSON.stringify({ t: 'in', line: 'release', value: 1 })}\n`); // an output is not an input
    c.send(`${JSON.stringify({ t: 'in', line: 'passage', value: 7 })}\n`);
    c.send(encodeLine({ t: 'in', line: 'passage', value: 1 }));
    c.send(encodeLine({ t: 'in', line: 'passage', value: 1 })); // same level: no edge
    c.send(encodeLine({ t: 'in', line: 'passage', value: 0 }).slice(0, 10));
    c.send(encodeLine({ t: 'in', line: 'passage', value: 0 }).slice(10)); // split across chunks
    await until(() => edges.length === 2, 'two input edges');
    expect(edges).toEqual(['passage=1', 'passage=0']);
    expect(sim.badMessages).toBe(3);
    expect(sim.read('passage')).toBe(0);
  });

  it('drives GateIo end to end: a fire alarm from the simulator releases the gate on the wire', async () => {
    const sim = await SimGpioBackend.listen();
    cleanup.push(() => sim.close());
    const io = new GateIo({ backend: sim, debounceMs: 0 });
    cleanup.push(() => io.close());
    const c = await connectClient(sim.port);
    cleanup.push(c.close);
    await c.until(1);
    c.send(encodeLine({ t: 'in', line: 'fireAlarm', value: 1 }));
    await until(() => io.state === 'fire', 'fire state');
    const msgs = await c.until(3);
    expect(msgs).toContainEqual(expect.objectContaining({ t: 'out', line: 'release', value: 1 }));
    expect(sim.outputState().release).toBe(1);
  });

  it('refuses a port that is taken with a typed error', async () => {
    const sim = await SimGpioBackend.listen();
    cleanup.push(() => sim.close());
    await expect(SimGpioBackend.listen({ port: sim.port })).rejects.toMatchObject({
      code: 'TG_EDGE_GPIO_SIM_LISTEN_FAILED',
    });
  });
});
