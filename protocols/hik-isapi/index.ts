/**
 * The face terminal over the vendor's HTTP API, ISAPI (devices.md §5): pure codecs, no I/O.
 * The edge's listener, verdict client and alert-stream client (edge/terminal/hik-isapi/) and the
 * simulated terminal (firmware-sim/isapi/) both build on these.
 */
export * from './digest.ts';
export * from './event.ts';
export * from './md5.ts';
export * from './messages.ts';
export * from './multipart.ts';
export * from './push.ts';
export * from './users.ts';
