import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends a run with one plain line, `<project>: N passed, N failed, N skipped`, that CI and humans
 * can read without parsing vitest's coloured summary. A file that failed to load counts as failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    const projects = new Set<string>();
    for (const module of testModules) {
      projects.add(module.project.name);
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (tests === 0 && module.state() === 'failed') counts.failed++;
    }
    const label = [...projects].join('+') || 'tests';
    process.stdout.write(`\n${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
