/**
 * Commands to the gate from the guards (dashboard) and operators (OPC UA): open once, lockdown,
 * release lockdown. Each is answered with a command-ack saying whether it was executed.
 */
import {
  type CommandRefusal,
  GateCommand,
  type GateCommandAck,
  SCHEMA_VERSION,
} from '../../protocols/gate/messages.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { GateTopic } from '../../protocols/topics.ts';
import type { Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { GateActuator, Publisher } from './gate-io-types.ts';

export function executeCommand(
  payload: Uint8Array | string,
  d: { cfg: EdgeConfig; clock: Clock; log: Logger; io: GateActuator; bus: Publisher },
): 'bad-payload' | 'executed' | 'refused' {
  const r = parsePayload(GateCommand, payload);
  if (!r.ok) {
    d.log.warn({ code: r.error.code, reason: r.error.message }, 'command rejected');
    return 'bad-payload';
  }
  const cmd = r.value;
  const now = d.clock.now();
  const ageMs = now - cmd.at;
  let error: string | null = null;
  let code: CommandRefusal | null = null;
  // Both ways: a command from the future means a skewed clock, and a skewed clock can make an old
  // open-once look fresh.
  if (Math.abs(ageMs) > d.cfg.policy.staleEventMs) {
    code = 'stale';
    error = `stale command (${Math.round(ageMs / 1000)} s old by the gate's clock): not executed`;
  } else if (cmd.kind === 'open-once' && d.io.state === 'lockdown') {
    code = 'lockdown';
    error = 'gate in lockdown: release it first';
  }
  d.log.info({ id: cmd.id, kind: cmd.kind, by: cmd.by, reason: cmd.reason, ageMs, code, error }, 'command');
  if (error === null) {
    if (cmd.kind === 'open-once') d.io.release(d.cfg.turnstile.openMs);
    else d.io.setLockdown(cmd.kind === 'lockdown');
  }
  const ack: GateCommandAck = { v: SCHEMA_VERSION, id: cmd.id, ok: error === null, error, code, at: now };
  d.bus.publish(GateTopic.commandAck(d.cfg.siteId, d.cfg.gateId), JSON.stringify(ack), { qos: 1 });
  return error === null ? 'executed' : 'refused';
}
