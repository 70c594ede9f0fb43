import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two groups. The chaos tests (killed processes, cut connections, a Redis Cluster failing over)
 * hold the stores to time bounds such as "an orphan is recovered within lease + heartbeat"; they
 * run after everything else, one file at a time, so that the bound is measured on a machine busy
 * with that test alone rather than with whichever other files share its CPUs.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/chaos/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
