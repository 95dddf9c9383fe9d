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
      {
        // Starts and kills control planes with the machine's one real node: alone, one file at a
        // time, never beside the e2e project (which holds the real node for its whole run).
        test: {
          name: 'real-node',
          include: ['test/real-node/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Dockyard installed with Helm from the local image, on a cluster whose Pods really run.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
