/** Stable codes of the OPC UA server, in logs and thrown errors; never reused for another meaning. */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const OpcuaErrorCode = {
  /** A user's passwordFile cannot be read or is empty (the hub does not start). */
  PASSWORD_FILE: 'TG_OPCUA_PASSWORD_FILE',
  /** The OPC UA server could not start (port in use, certificate folder not writable ...). */
  START_FAILED: 'TG_OPCUA_START_FAILED',
  /** A login with a wrong or unknown username/password. */
  LOGIN_REFUSED: 'TG_OPCUA_LOGIN_REFUSED',
  /** A method or acknowledge refused: anonymous, viewer, or a channel weaker than operatorSecurityMode. */
  ACCESS_DENIED: 'TG_OPCUA_ACCESS_DENIED',
  /** The gate did not acknowledge a command in time. */
  COMMAND_TIMEOUT: 'TG_OPCUA_COMMAND_TIMEOUT',
  /** The gate acknowledged a command with ok: false. */
  COMMAND_FAILED: 'TG_OPCUA_COMMAND_FAILED',
  /** A message on a topic the server reads did not parse; it is ignored (the broker still delivers it). */
  BAD_MESSAGE: 'TG_OPCUA_BAD_MESSAGE',
  /** A login not checked: too many failures from its address (or for its user from a failing one). */
  LOGIN_THROTTLED: 'TG_OPCUA_LOGIN_THROTTLED',
} as const;
export type OpcuaErrorCode = CodeOf<typeof OpcuaErrorCode>;

export class OpcuaError extends codedErrors('OpcuaError', OpcuaErrorCode) {}
