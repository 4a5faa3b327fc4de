/**
 * The gate's one MQTT connection is the kernel's link (kernel/mqtt-link.ts: jittered reconnect,
 * at-least-once stores kept across reconnects, the bounded offline queue, retained snapshots
 * fetched on demand); the edge's modules import it from here.
 */
export {
  CONNECT_TIMEOUT_MS,
  HANDLER_GUARD_MS,
  type LinkOptions,
  type MessageHandler,
  MqttLink,
  REFUSED_RETRY_MAX_MS,
} from '../../kernel/mqtt-link.ts';
