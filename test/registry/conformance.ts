import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';

/**
 * The OCI distribution-spec conformance suite (github.com/opencontainers/distribution-spec/
 * conformance, built by test/cluster/build-binaries.sh as `oci-conformance`), run against one
 * registry. Its results come from the JUnit report it writes, one test case per check.
 */
export type ConformanceStatus = 'passed' | 'failed' | 'skipped';

export interface ConformanceRun {
  /**
   * Statuses per test name (`classname / name`), sorted: the suite repeats a few names, and its
   * order of tests varies from run to run (Go map order), so a name's results are a multiset.
   */
  results: Map<string, ConformanceStatus[]>;
  durationMs: number;
}

export interface ConformanceTarget {
  /** host:port, plain HTTP. */
  registry: string;
  username?: string;
  password?: string;
}

export function conformanceBinary(binDir: string): string {
  const binary = join(binDir, 'oci-conformance');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run make binaries`);
  return binary;
}

export async function runConformance(binary: string, target: ConformanceTarget): Promise<ConformanceRun> {
  const workDir = await mkdtemp(join(tmpdir(), 'dockyard-conformance-'));
  const resultsDir = join(workDir, 'results');
  const started = performance.now();
  try {
    // It exits 1 when any check failed, which against distribution some do (upstream's own
    // failures); the report says which. Only a missing report is this run's failure.
    const outcome = await promisify(execFile)(binary, [], {
      // No oci-conformance.yaml in its working directory: the environment alone configures it.
      cwd: workDir,
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: workDir,
        OCI_RESULTS_DIR: resultsDir,
        OCI_REGISTRY: target.registry,
        OCI_TLS: 'disabled',
        OCI_REPO1: 'conformance/repo1',
        OCI_REPO2: 'conformance/repo2',
        OCI_USERNAME: target.username ?? '',
        OCI_PASSWORD: target.password ?? '',
        OCI_VERSION: '1.1',
        OCI_LOG: 'error',
      },
    }).then(
      () => ({ stderr: '' }),
      (error: { stderr?: string; message: string }) => ({ stderr: error.stderr ?? error.message }),
    );
    if (!existsSync(join(resultsDir, 'junit.xml'))) throw new Error(`the conformance suite wrote no report:\n${outcome.stderr.slice(-4000)}`);
    const report = await readFile(join(resultsDir, 'junit.xml'), 'utf8');
    return { results: parseJunit(report), durationMs: performance.now() - started };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

interface JunitCase {
  name: string;
  classname: string;
  status?: string;
}

// The suite's `status` attribute (junit.go); an error is a failure as far as comparing goes.
const statuses: Record<string, ConformanceStatus> = { passed: 'passed', skipped: 'skipped', failure: 'failed', error: 'failed' };

/** Test cases of a JUnit report, by their `status` attribute. */
export function parseJunit(xml: string): Map<string, ConformanceStatus[]> {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' });
  const document = parser.parse(xml) as { testsuites?: { testsuite?: { testcase?: JunitCase[] }[] } };
  const results = new Map<string, ConformanceStatus[]>();
  for (const suite of document.testsuites?.testsuite ?? []) {
    for (const testCase of suite.testcase ?? []) {
      const status = statuses[testCase.status ?? ''];
      if (status === undefined) throw new Error(`the conformance report gives ${testCase.name} the status ${testCase.status}`);
      const key = `${testCase.classname} / ${testCase.name}`;
      results.set(key, [...(results.get(key) ?? []), status].sort());
    }
  }
  if (results.size === 0) throw new Error('the conformance report holds no test case');
  return results;
}

/** passed / failed / skipped counts. */
export function tally(results: Map<string, ConformanceStatus[]>): Record<ConformanceStatus, number> {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const statuses of results.values()) for (const status of statuses) counts[status]++;
  return counts;
}
