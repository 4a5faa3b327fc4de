/** The kernel's retry delays (kernel/backoff.ts), where the edge's modules import them from. */
export * from '../kernel/backoff.ts';
