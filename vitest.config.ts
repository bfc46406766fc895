import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Native work (libtorch) runs in the worker threads' process: forks keep each file's addon state apart.
    pool: 'forks',
    fileParallelism: true,
  },
});
