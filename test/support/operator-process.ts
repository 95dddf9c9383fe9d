import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { bundledDockyardMain } from './bundle.ts';

const fixture = new URL('./fixtures/test-operator.ts', import.meta.url).pathname;
const dockyardMain = new URL('../../src/main.ts', import.meta.url).pathname;

/** One JSON log line of the operator. */
export interface LogLine {
  msg: string;
  time: string;
  [field: string]: unknown;
}

/**
 * A test operator process: its log lines as they arrive, waits on them (event-driven, with a
 * deadline), signals, and its exit.
 */
export class OperatorProcess {
  readonly name: string;
  readonly startedAt = Date.now();
  readonly logs: LogLine[] = [];
  private readonly child: ChildProcess;
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners = new Set<() => void>();
  private stderr = '';

  /**
   * `argv`: Node's own flags, the script Node runs, then its arguments. `cgroupProcs`: a cgroup's
   * cgroup.procs file to start in, before Node sizes its heap from the cgroup's memory limit.
   */
  private constructor(name: string, argv: string[], env: Record<string, string>, cgroupProcs?: string) {
    this.name = name;
    const [command, args] =
      cgroupProcs === undefined ? [process.execPath, argv] : ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', cgroupProcs, process.execPath, ...argv]];
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface(this.child.stdout!).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ msg: line, time: new Date().toISOString() });
      }
      for (const listener of this.listeners) listener();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exit = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exit.then(() => {
      for (const listener of this.listeners) listener();
    });
  }

  /** Starts the fixture operator with `--kubeconfig`, a free health port, debug logs and `args`. */
  static start(options: { name: string; kubeconfig: string; args?: string[]; env?: Record<string, string> }): OperatorProcess {
    const args = [
      '--kubeconfig',
      options.kubeconfig,
      '--health-addr',
      '127.0.0.1:0',
      '--log-level',
      'debug',
      '--identity',
      options.name,
      ...(options.args ?? []),
    ];
    return new OperatorProcess(options.name, [fixture, ...args], options.env ?? {});
  }

  /**
   * Starts the real `dockyard operator` (its registered controllers) with exactly `args`: from
   * src/main.ts, or with `bundled` from dist/dockyard/ (`make build`), which is what the image runs.
   */
  static startDockyard(options: {
    name: string;
    args: string[];
    env?: Record<string, string>;
    bundled?: boolean;
    nodeFlags?: string[];
    cgroupProcs?: string;
  }): OperatorProcess {
    const entry = options.bundled ? bundledDockyardMain() : dockyardMain;
    return new OperatorProcess(options.name, [...(options.nodeFlags ?? []), entry, 'operator', ...options.args], options.env ?? {}, options.cgroupProcs);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything written to stderr so far. */
  get stderrText(): string {
    return this.stderr;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits for the first log line (at or after index `from`) that satisfies `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, what: string, options: { timeoutMs?: number; from?: number } = {}): Promise<LogLine> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.logs.slice(options.from ?? 0).find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (this.exited) {
          done();
          reject(new Error(`${this.name} exited while waiting for ${what}\n${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${this.name} to log ${what}\n${this.describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  waitForMessage(msg: string, options: { timeoutMs?: number; from?: number } = {}): Promise<LogLine> {
    return this.waitForLog((line) => line.msg === msg, JSON.stringify(msg), options);
  }

  /** Lines with this message so far. */
  count(msg: string, filter: (line: LogLine) => boolean = () => true): number {
    return this.logs.filter((line) => line.msg === msg && filter(line)).length;
  }

  /** The base URL of /healthz, /readyz and /metrics. */
  async healthUrl(): Promise<string> {
    const line = await this.waitForMessage('started serving health and metrics');
    const address = String(line['address']);
    return `http://127.0.0.1:${address.slice(address.lastIndexOf(':') + 1)}`;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async waitForExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Safe to call twice. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.kill('SIGTERM');
    await this.waitForExit(graceMs).catch(() => {
      this.kill('SIGKILL');
      return this.exit;
    });
  }

  /** The last log lines and stderr, for failure messages. */
  describe(): string {
    const tail = this.logs.slice(-15).map((line) => JSON.stringify(line));
    return [`--- ${this.name} (pid ${this.child.pid}) last log lines:`, ...tail, this.stderr ? `--- stderr:\n${this.stderr.slice(-2000)}` : ''].join('\n');
  }
}

/** Milliseconds between two log lines' timestamps. */
export function msBetween(earlier: LogLine | number, later: LogLine): number {
  const start = typeof earlier === 'number' ? earlier : Date.parse(earlier.time);
  return Date.parse(later.time) - start;
}
