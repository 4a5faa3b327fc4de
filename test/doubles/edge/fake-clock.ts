/** The kernel's manual clock, under the name the edge's tests and benchmarks know it by. */
export { ManualClock as FakeClock } from '../../../kernel/clock.ts';
