/**
 * The §3 terminal (devices.md): events, verdicts and acks are MQTT messages on the site's broker.
 * The gate subscribes to `face/{deviceId}/event` itself (Gate.subscriptions), so that the broker
 * link acknowledges an event only once it is decided and recorded; this driver carries the answers.
 */
import type { FaceAck } from '../../protocols/face-mqtt/index.ts';
import { FaceTopic } from '../../protocols/topics.ts';
import type { TerminalContext, TerminalDriver } from './types.ts';

export function faceMqttDriver(ctx: TerminalContext): TerminalDriver {
  const id = ctx.cfg.terminal.deviceId;
  return {
    protocol: 'face-mqtt',
    eventsOverMqtt: true,
    reply: {
      verdict: (v) => ctx.bus.publish(FaceTopic.verdict(id), JSON.stringify(v), { qos: 1 }),
      ack: (serialNo) =>
        ctx.bus.publish(FaceTopic.ack(id), JSON.stringify({ serialNo } satisfies FaceAck), { qos: 1 }),
    },
    // The terminal's own retained status on the broker says whether it is online.
    status: () => null,
    start: async () => {},
    stop: async () => {},
  };
}
