/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF). Sent low byte first on the wire. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++)
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

/** One byte more of a running CRC (start from 0xFFFF): lets a framer test every length in one pass. */
export function crc16Update(crc: number, byte: number): number {
  return (crc >>> 8) ^ (TABLE[(crc ^ byte) & 0xff] as number);
}

/** True when the last two bytes of bytes[start, end) are the CRC of what precedes them. */
export function crcMatches(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 4) return false;
  const crc = crc16(bytes, start, end - 2);
  return bytes[end - 2] === (crc & 0xff) && bytes[end - 1] === crc >>> 8;
}

/** Appends the CRC to a frame body. */
export function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  const crc = crc16(body);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >>> 8;
  return out;
}
