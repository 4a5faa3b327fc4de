/** The dashboard's logger: the shared kernel's (kernel/log.ts). */
export { createLogger, type Logger, silentLogger } from '../kernel/log.ts';
