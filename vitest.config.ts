import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'protocols/**/*.test.ts',
      'edge/**/*.test.ts',
      'firmware-sim/**/*.test.ts',
      'dashboard/**/*.test.ts',
      'hub/**/*.test.ts',
      'kernel/**/*.test.ts',
      'site/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests open real ptys, brokers and databases: two cores, keep the pool small.
    maxWorkers: 2,
  },
});
