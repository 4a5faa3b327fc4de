/**
 * Wire protocol of the simulated gate I/O (devices.md §4 where the machine has no GPIO).
 * The edge's simulated line set listens on TCP; a simulator connects and speaks newline-delimited
 * JSON: the edge reports every output change (and a snapshot on connect), the simulator drives
 * the inputs. This keeps the simulator a peer on a wire, never a caller of edge code.
 */
import { z } from 'zod';

export const OutputLine = z.enum(['release', 'green', 'red', 'buzzer']);
export type OutputLine = z.infer<typeof OutputLine>;
export const InputLine = z.enum(['passage', 'fireAlarm']);
export type InputLine = z.infer<typeof InputLine>;
const Level = z.union([z.literal(0), z.literal(1)]);

/** Edge → simulator. */
export const GpioSimServerMessage = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('snapshot'),
    outputs: z.record(OutputLine, Level),
    inputs: z.record(InputLine, Level),
    at: z.number(),
  }),
  z.object({ t: z.literal('out'), line: OutputLine, value: Level, at: z.number() }),
]);
export type GpioSimServerMessage = z.infer<typeof GpioSimServerMessage>;

/** Simulator → edge. */
export const GpioSimClientMessage = z.object({ t: z.literal('in'), line: InputLine, value: Level });
export type GpioSimClientMessage = z.infer<typeof GpioSimClientMessage>;

export const encodeLine = (m: GpioSimServerMessage | GpioSimClientMessage): string =>
  `${JSON.stringify(m)}\n`;

/** Splits a TCP byte stream into lines; keeps a partial last line for the next chunk. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    // A line longer than this is abuse or a wrong peer: drop it rather than grow without bound.
    if (this.rest.length > 64 * 1024) this.rest = '';
    return parts.filter((l) => l.length > 0);
  }
}
