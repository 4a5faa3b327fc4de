/** Argument helpers: every mistake becomes TG_SIM_BAD_ARGS, which the CLI turns into exit code 2. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SimError, SimErrorCode } from '../errors.ts';

export function badArgs(message: string): never {
  throw new SimError(SimErrorCode.BAD_ARGS, message);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors (unknown option, missing value) made ours. */
export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    return badArgs((err as Error).message);
  }
}

export function intArg(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) badArgs(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) badArgs(`--${name} must be ${min}..${max}, got ${n}`);
  return n;
}

export function numArg(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    badArgs(`--${name} must be a number, got ${JSON.stringify(text)}`);
  if (n < min || n > max) badArgs(`--${name} must be ${min}..${max}, got ${n}`);
  return n;
}

export function oneOf<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text))
    badArgs(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  return text as T;
}

/** °C with at most one decimal, as tenths: "36.6" → 366. */
export function celsiusArg(name: string, text: string | undefined): number | undefined {
  const c = numArg(name, text, -40, 80);
  return c === undefined ? undefined : Math.round(c * 10);
}

/** Resolves when SIGINT or SIGTERM arrives (the simulators run until then). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
