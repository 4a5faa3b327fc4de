/**
 * Publishes the hub's time on `tg/{site}/hub/clock` every `intervalMs` (and once at start), so
 * every gate can check its own clock against the site's (edge/clock-check.ts). QoS 0 and never
 * retained: a copy that waited in a queue or in the retained store would look like clock skew.
 */
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import type { HubClock } from '../../protocols/hub/clock.ts';
import { HubTopic } from '../../protocols/topics.ts';
import type { Clock } from '../../kernel/clock.ts';
import type { Logger } from '../log.ts';

export interface ClockPublisherOptions {
  siteId: string;
  intervalMs: number;
  clock: Clock;
  publish: (topic: string, payload: string, opts: { qos: 0; retain: false }) => Promise<void>;
  log: Logger;
}

export function startClockPublisher(o: ClockPublisherOptions): { stop(): void } {
  const topic = HubTopic.clock(o.siteId);
  const tick = () => {
    const msg: HubClock = { v: SCHEMA_VERSION, siteId: o.siteId, at: o.clock.now() };
    o.publish(topic, JSON.stringify(msg), { qos: 0, retain: false }).catch((e) =>
      o.log.debug({ err: (e as Error).message }, 'clock not published'),
    );
  };
  tick();
  const timer = o.clock.setInterval(tick, o.intervalMs);
  timer.unref?.();
  return { stop: () => timer.cancel() };
}
