/** The hub's logger: the shared kernel's (kernel/log.ts). */
export { createLogger, type Logger } from '../kernel/log.ts';
