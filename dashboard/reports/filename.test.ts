import { describe, expect, it } from 'vitest';
import { contentDisposition, safePart } from './filename.ts';

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name as RFC 5987 filename*', () => {
    const h = contentDisposition("thermogate_张三_(A)'s.csv");
    expect(h).toBe(
      `attachment; filename="thermogate____(A)'s.csv"; filename*=UTF-8''thermogate_%E5%BC%A0%E4%B8%89_%28A%29%27s.csv`,
    );
    const star = /filename\*=UTF-8''(.+)$/.exec(h)?.[1] as string;
    expect(decodeURIComponent(star)).toBe("thermogate_张三_(A)'s.csv");
    expect(star).toMatch(/^[A-Za-z0-9!#$&+.^_`|~%-]+$/); // attr-char and pct-encoded only
  });

  it('keeps quotes and backslashes out of the quoted fallback', () => {
    expect(contentDisposition('a"b\\c.csv')).toMatch(/^attachment; filename="a_b_c\.csv";/);
  });
});

describe('safePart', () => {
  it('removes path separators and characters file systems refuse', () => {
    expect(safePart('../a/b\\c:d*e?f"g<h>i|j\nk')).toBe('.._a_b_c_d_e_f_g_h_i_j_k');
    expect(safePart('张三')).toBe('张三');
    expect(safePart('')).toBe('_');
  });
});
