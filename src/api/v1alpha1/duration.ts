/**
 * Go's duration syntax (`time.ParseDuration`), which is what Kubernetes users write and what the
 * apiserver's CEL `duration()` parses: a sequence of decimal numbers, each with a unit, such as
 * `720h`, `90m` or `1h30m`. Signs are left out on purpose: no field of ours takes a negative
 * duration.
 */
export const goDurationPattern = /^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$/;

const millisecondsPerUnit: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const term = /([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/g;

/** The length of a Go-style duration in milliseconds; throws when `text` is not one. */
export function durationMilliseconds(text: string): number {
  if (!goDurationPattern.test(text)) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: expected a Go duration such as 720h, 90m or 1h30m`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(term)) {
    total += Number(amount) * (millisecondsPerUnit[unit ?? ''] ?? Number.NaN);
  }
  return total;
}

/**
 * A command-line duration, read as Go's flag package reads one: a Go duration, or a bare `0`.
 * Every duration flag of every dockyard command goes through here, so `1h` means the same to
 * --lease-duration as to --token-lifetime. Throws a message that names the flag.
 */
export function parseDurationFlag(flag: string, text: string, options: { allowZero?: boolean } = {}): number {
  const milliseconds = text === '0' ? 0 : durationOrUndefined(text);
  if (milliseconds === undefined) throw new Error(`--${flag}: invalid duration ${JSON.stringify(text)}; use a Go duration such as 15s, 500ms, 2m or 1h`);
  if (milliseconds === 0 && !options.allowZero) throw new Error(`--${flag}: must be longer than 0`);
  return milliseconds;
}

function durationOrUndefined(text: string): number | undefined {
  try {
    return durationMilliseconds(text);
  } catch {
    return undefined;
  }
}
