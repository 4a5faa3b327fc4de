/**
 * Stable error codes for everything that crosses a wire. Codes never change meaning once shipped;
 * new ones are appended. Ranges: TG_MODBUS_* serial Modbus, TG_GY_* UART module, TG_MSG_* MQTT payloads.
 */
export const ProtocolErrorCode = {
  /** Modbus frame shorter than the minimum or than its own length field says. */
  MODBUS_TRUNCATED: 'TG_MODBUS_TRUNCATED',
  /** CRC-16/MODBUS does not match. */
  MODBUS_BAD_CRC: 'TG_MODBUS_BAD_CRC',
  /** A function code this device family does not use. */
  MODBUS_UNSUPPORTED_FUNCTION: 'TG_MODBUS_UNSUPPORTED_FUNCTION',
  /** Frame is well formed but its fields are inconsistent (byte count, quantity, ...). */
  MODBUS_MALFORMED: 'TG_MODBUS_MALFORMED',
  /** The slave answered with an exception response. */
  MODBUS_EXCEPTION: 'TG_MODBUS_EXCEPTION',
  /** GY-MLX90615 frame with a wrong checksum. */
  GY_BAD_SUM: 'TG_GY_BAD_SUM',
  /** Payload is not JSON. */
  MSG_NOT_JSON: 'TG_MSG_NOT_JSON',
  /** Payload is JSON but does not match the schema. */
  MSG_SCHEMA: 'TG_MSG_SCHEMA',
  /** Payload exceeds the size limit for its topic. */
  MSG_TOO_LARGE: 'TG_MSG_TOO_LARGE',
  /** A temperature could not be converted (unknown unit, not finite). */
  MSG_BAD_TEMPERATURE: 'TG_MSG_BAD_TEMPERATURE',
  /** Topic does not match any known pattern. */
  TOPIC_UNKNOWN: 'TG_TOPIC_UNKNOWN',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
