/**
 * Stable error codes for everything that crosses a wire. Codes never change meaning once shipped;
 * new ones are appended. Ranges: TG_MODBUS_* serial Modbus, TG_GY_* UART module, TG_MSG_* MQTT payloads, TG_ISAPI_*
 * the vendor's HTTP API (devices.md §5).
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
  /** ISAPI (devices.md §5): a Content-Type the listener does not take (or a multipart one without a boundary). */
  ISAPI_CONTENT_TYPE: 'TG_ISAPI_CONTENT_TYPE',
  /** ISAPI: a multipart body that breaks its own framing (no delimiter, headers too long). */
  ISAPI_MULTIPART: 'TG_ISAPI_MULTIPART',
  /** ISAPI: a request with no event JSON in it. */
  ISAPI_NO_EVENT: 'TG_ISAPI_NO_EVENT',
  /** ISAPI: the event part is not JSON (or was cut off). */
  ISAPI_NOT_JSON: 'TG_ISAPI_NOT_JSON',
  /** ISAPI: the event JSON does not carry what §5 says (field path in the message). */
  ISAPI_SCHEMA: 'TG_ISAPI_SCHEMA',
  /** ISAPI: a temperature the chain cannot store (unknown unit, out of range). */
  ISAPI_BAD_TEMPERATURE: 'TG_ISAPI_BAD_TEMPERATURE',
  /** ISAPI: a body or part over its size limit. */
  ISAPI_TOO_LARGE: 'TG_ISAPI_TOO_LARGE',
  /** ISAPI: a WWW-Authenticate / Authorization header that is not a usable Digest one. */
  ISAPI_DIGEST: 'TG_ISAPI_DIGEST',
  /** ISAPI: the terminal refused our credentials (401 after a fresh challenge). */
  ISAPI_AUTH: 'TG_ISAPI_AUTH',
  /** ISAPI: the terminal answered, with a statusCode other than 1 (OK). */
  ISAPI_STATUS: 'TG_ISAPI_STATUS',
  /** ISAPI: an answer that is neither JSON nor XML ResponseStatus / DeviceInfo. */
  ISAPI_RESPONSE: 'TG_ISAPI_RESPONSE',
  /** ISAPI: a UserInfo document (Record / Modify / Delete / Search, or its answer) that does not fit (field path in the message). */
  ISAPI_USER_INFO: 'TG_ISAPI_USER_INFO',
  /** ISAPI: a UserInfo validity time that is not `YYYY-MM-DDTHH:mm:ss` (or lies outside 2000–2037). */
  ISAPI_LOCAL_TIME: 'TG_ISAPI_LOCAL_TIME',
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
