/**
 * aedes 1.x answers a QoS 1 PUBLISH with its PUBACK as soon as the authorizePublish hook says yes,
 * and queues the message for the persistent sessions only on a later turn of the event loop. A hub
 * killed in that gap has acknowledged a message it never stored: the sender (rightly) forgets it
 * and nobody receives it. This wraps the hook so that, once the guard has accepted a QoS 1 message
 * from a client, it is queued in SQLite first (SqlitePersistence.storeBeforeAck) and acknowledged
 * after the transaction holding it has committed (one per turn of the event loop, shared by every
 * message of that turn). A message that cannot be stored is refused, which drops the client: it
 * sends it again.
 *
 * QoS 2 is not covered (aedes stores it as received before publishing, but treats a resent copy as
 * a duplicate and never publishes it if the hub died in between); ThermoGate's devices use QoS 0/1.
 */
import type { Client, PublishPacket } from 'aedes';
import type { Logger } from '../log.ts';
import type { SqlitePersistence } from './sqlite-persistence.ts';

type AuthorizePublish = (
  client: Client | null,
  packet: PublishPacket,
  cb: (e?: Error | null) => void,
) => void;

export function storeBeforeAck(
  authorize: AuthorizePublish,
  persistence: Pick<SqlitePersistence, 'storeBeforeAck'>,
  log: Logger,
): AuthorizePublish {
  return (client, packet, cb) =>
    authorize(client, packet, (err) => {
      // No client: a will, published by the broker itself; nobody waits for its acknowledgement.
      if (err || !client || packet.qos !== 1) return cb(err);
      const refuse = (e: Error) => {
        log.error(
          { clientId: client.id, topic: packet.topic, err: e.message },
          'message not stored: refused',
        );
        cb(e);
      };
      try {
        // Called back once the batch holding its rows has committed (this turn of the event loop).
        persistence.storeBeforeAck(
          packet as unknown as Parameters<SqlitePersistence['storeBeforeAck']>[0],
          (e) => (e ? refuse(e) : cb(null)),
        );
      } catch (e) {
        refuse(e as Error);
      }
    });
}
