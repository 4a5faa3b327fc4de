/**
 * What `sim terminal` and `sim isapi-terminal` share: the person shown (--employee, --name,
 * --unknown, --mask, --celsius), the pace (--every, --count), and the loop that presents the person
 * until --count events or Ctrl-C, printing each outcome.
 */
import { formatTenths } from '../../protocols/temperature.ts';
import type { FacePerson } from '../face/event-builder.ts';
import { sleepUnlessAborted } from '../time.ts';
import { celsiusArg, intArg, oneOf, untilSignal } from './args.ts';
import { say } from './print.ts';

/** parseArgs options of the person and the pace (spread into each command's own). */
export const PERSON_OPTIONS = {
  employee: { type: 'string' },
  name: { type: 'string' },
  unknown: { type: 'boolean' },
  mask: { type: 'string' },
  celsius: { type: 'string' },
  every: { type: 'string' },
  count: { type: 'string' },
} as const;

interface PersonValues {
  employee?: string | undefined;
  name?: string | undefined;
  unknown?: boolean | undefined;
  mask?: string | undefined;
  celsius?: string | undefined;
  every?: string | undefined;
  count?: string | undefined;
}

export interface ShowPerson {
  person: FacePerson & { recognised: boolean; mask: 'yes' | 'no' | 'unknown' };
  /** ms between events (default 5000); stop after `count` events (undefined: until Ctrl-C). */
  every: number;
  count: number | undefined;
}

/** Checks the person's and the pace's options (bad ones exit 2 through badArgs). */
export function personArgs(v: PersonValues): ShowPerson {
  const mask = oneOf('mask', v.mask, ['yes', 'no', 'unknown'] as const) ?? 'yes';
  const temperatureTenths = celsiusArg('celsius', v.celsius);
  return {
    person: {
      employeeNo: v.employee ?? 'E10023',
      name: v.name ?? '张伟',
      recognised: !v.unknown,
      mask,
      temperatureTenths,
    },
    every: intArg('every', v.every, 100, 86_400_000) ?? 5000,
    count: intArg('count', v.count, 1, 1_000_000),
  };
}

/** Presents the person every `every` ms until `count` events or a signal, then stops the terminal. */
export async function presentUntilStopped<R extends { serialNo: number }>(
  show: ShowPerson,
  terminal: { present(person: FacePerson): Promise<R>; stop(): Promise<void> },
  describe: (r: R) => string,
): Promise<number> {
  const { person, every, count } = show;
  const stop = new AbortController();
  const who = person.recognised ? `${person.employeeNo} ${person.name}` : 'unknown face';
  const temp = person.temperatureTenths !== undefined ? ` ${formatTenths(person.temperatureTenths)}°C` : '';
  const loop = (async () => {
    try {
      for (let n = 0; count === undefined || n < count; n++) {
        const started = Date.now();
        const r = await terminal.present(person);
        say(`event #${r.serialNo} ${who}${temp} mask=${person.mask}: ${describe(r)}`);
        if (count !== undefined && n + 1 >= count) break;
        await sleepUnlessAborted(Math.max(0, every - (Date.now() - started)), stop.signal);
      }
    } catch {
      /* aborted */
    }
  })();
  const done = count !== undefined ? loop.then(() => 'done' as const) : new Promise<never>(() => {});
  const why = await Promise.race([untilSignal(), done]);
  if (why !== 'done') say(`${why}: stopping`);
  stop.abort();
  await loop;
  await terminal.stop();
  return 0;
}
