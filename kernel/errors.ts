/**
 * Coded errors: every error a package throws carries a stable code (`TG_...`) that logs, alerts,
 * scripts and tests key on; the message is for people and may change. One base class, and one
 * factory a package uses once to make its own error class from its table of codes, so a package's
 * `errors.ts` is its codes (with what each means) and one line.
 *
 *     export const GpioErrorCode = { UNAVAILABLE: 'TG_EDGE_GPIO_UNAVAILABLE', ... } as const;
 *     export type GpioErrorCode = CodeOf<typeof GpioErrorCode>;
 *     export class GpioError extends codedErrors('GpioError', GpioErrorCode) {}
 *
 * `err instanceof GpioError` and `err instanceof CodedError` both hold.
 */

/** A stable error code: `TG_` and upper-case words. */
export type ErrorCode = `TG_${string}`;

/** The union of the codes in a package's table. */
export type CodeOf<T extends Readonly<Record<string, string>>> = T[keyof T];

export interface CodedErrorOptions {
  /** The error this one wraps (shown by Node and pino as `cause`). */
  cause?: unknown;
  /** Machine-readable facts for logs and answers (a line number, a path, an HTTP status). */
  details?: Readonly<Record<string, unknown>>;
}

export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /**
   * `message` is taken as it is; the factory's classes put the code in front of it (`TG_X: ...`)
   * unless told not to (errors whose message is answered to a user beside the code).
   */
  constructor(code: C, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodedError';
    this.code = code;
    this.details = options.details;
  }
}

export interface CodedErrorsOptions {
  /** Whether the message starts with the code (`TG_X: what happened`). Default true. */
  codeInMessage?: boolean;
}

/**
 * A package's error class: `name` is its `Error.name`, `codes` its table of codes (kept as the
 * static `codes`). Subclass it (`class XError extends codedErrors('XError', XCode) {}`) to add
 * fields or a constructor of its own.
 */
export function codedErrors<const T extends Readonly<Record<string, ErrorCode>>>(
  name: string,
  codes: T,
  opts: CodedErrorsOptions = {},
) {
  const codeInMessage = opts.codeInMessage ?? true;
  return class extends CodedError<CodeOf<T>> {
    static readonly codes: T = codes;
    constructor(code: CodeOf<T>, message: string, options?: CodedErrorOptions) {
      super(code, codeInMessage ? `${code}: ${message}` : message, options);
      this.name = name;
    }
  };
}

/** Whether `e` is an error with a string code (ours, or a system error's like ENOENT). */
export function hasCode(e: unknown): e is Error & { code: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}
