export const checkHealthUsage = `dockyard check-health URL
      Exit 0 when URL answers 2xx within 10 s, 1 otherwise, saying what it got: the chart's
      \`helm test\` asks the operator's /readyz this way, from the operator's own image.`;

/** `dockyard check-health URL`: a readiness check that needs nothing but the operator's image. */
export async function checkHealthCommand(args: string[]): Promise<number> {
  const [url] = args;
  if (url === undefined || args.length !== 1) {
    process.stderr.write(`${checkHealthUsage}\n`);
    return 2;
  }
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await answer.text()).slice(0, 512).trim();
    process.stdout.write(`${url}: HTTP ${answer.status}${body ? ` ${body}` : ''}\n`);
    return answer.ok ? 0 : 1;
  } catch (error) {
    process.stdout.write(
      `${url}: no answer (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})\n`,
    );
    return 1;
  }
}
