import { describe, expect, it } from 'vitest';
import { CodedError, codedErrors } from './errors.ts';

const DemoCode = { BROKEN: 'TG_DEMO_BROKEN', GONE: 'TG_DEMO_GONE' } as const;
class DemoError extends codedErrors('DemoError', DemoCode) {}
class QuietError extends codedErrors('QuietError', DemoCode, { codeInMessage: false }) {}

describe('coded errors', () => {
  it('a package class carries its code, name, cause and details, and is a CodedError and an Error', () => {
    const cause = new Error('ENOSPC');
    const e = new DemoError(DemoCode.BROKEN, 'disk full', { cause, details: { path: '/x' } });
    expect(e).toBeInstanceOf(DemoError);
    expect(e).toBeInstanceOf(CodedError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('TG_DEMO_BROKEN');
    expect(e.name).toBe('DemoError');
    expect(e.message).toBe('TG_DEMO_BROKEN: disk full');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ path: '/x' });
    expect(DemoError.codes).toBe(DemoCode);
  });

  it('one package class is not another', () => {
    expect(new QuietError(DemoCode.GONE, 'x')).not.toBeInstanceOf(DemoError);
  });

  it('a message answered beside its code does not repeat it', () => {
    expect(new QuietError(DemoCode.GONE, 'no such room').message).toBe('no such room');
  });
});
