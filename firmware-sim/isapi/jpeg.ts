/**
 * A small but well-formed JPEG for the terminal's `Picture` part: a 1×1 baseline image padded with
 * comment (COM) segments to the size a face snapshot has on the wire (tens of KB), so a push has
 * the bytes, the length and the binary content (0xFF, CR/LF, "--") a real one has.
 */
const ONE_PIXEL = Buffer.from(
  'FFD8FFE000104A46494600010100000100010000FFDB004300080606070605080707070909080A0C140D0C0B0B0C1912130F141D1A1F1E1D1A1C1C20242E2720222C231C1C2837292C30313434341F27393D38323C2E333432FFC0000B080001000101011100FFC4001F0000010501010101010100000000000000000102030405060708090A0BFFC400B5100002010303020403050504040000017D01020300041105122131410613516107227114328191A1082342B1C11552D1F02433627282090A161718191A25262728292A3435363738393A434445464748494A535455565758595A636465666768696A737475767778797A838485868788898A92939495969798999AA2A3A4A5A6A7A8A9AAB2B3B4B5B6B7B8B9BAC2C3C4C5C6C7C8C9CAD2D3D4D5D6D7D8D9DAE1E2E3E4E5E6E7E8E9EAF1F2F3F4F5F6F7F8F9FAFFDA0008010100003F00FBD3FFD9',
  'hex',
);

export function smallJpeg(bytes: number): Buffer {
  if (bytes <= 0) return Buffer.alloc(0);
  const segments: Buffer[] = [ONE_PIXEL.subarray(0, 2)];
  let size = ONE_PIXEL.length;
  let n = 0;
  while (size + 4 < bytes) {
    const len = Math.min(65_533, bytes - size - 4);
    const seg = Buffer.alloc(len + 4);
    seg.writeUInt16BE(0xfffe, 0);
    seg.writeUInt16BE(len + 2, 2);
    // Bytes a multipart parser must not trip over: CR, LF, dashes, 0xFF.
    for (let i = 0; i < len; i++)
      seg[4 + i] = [0x0d, 0x0a, 0x2d, 0x2d, 0x41 + (n % 26), 0xff, 0x00][i % 7] as number;
    segments.push(seg);
    size += seg.length;
    n++;
  }
  segments.push(ONE_PIXEL.subarray(2));
  return Buffer.concat(segments);
}
