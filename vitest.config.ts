import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/tools/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Unit tests assert behaviour, not speed (that is bench/'s job). Some start a node
          // process that loads the operator; on a loaded two-core machine that alone took
          // longer than vitest's 5 s default, failing tests whose assertions held.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/cluster/global-setup.ts'],
          // One shared cluster on two cores: files run one after another, each in namespaces
          // of its own, so a slow file cannot starve another's timing-sensitive waits.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
