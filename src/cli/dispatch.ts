import { version } from '../version.ts';

/**
 * Each command loads only its own modules. The auth server and the node proxy run in every
 * registry Pod and on every node; importing the operator's graph there (client-node alone is
 * about 80 MiB of RSS) would cost each of them more memory than their own work does.
 */
const commands = new Map<string, (args: string[]) => Promise<number>>([
  ['operator', async (args) => (await import('./operator.ts')).operatorCommand(args)],
  ['auth-server', async (args) => (await import('./auth-server.ts')).authServerCommand(args)],
  ['crds', async (args) => (await import('./crds.ts')).crdsCommand(args)],
  ['node-proxy', async (args) => (await import('./node-proxy.ts')).nodeProxyCommand(args)],
  ['retention', async (args) => (await import('./retention.ts')).retentionCommand(args)],
  ['check-health', async (args) => (await import('./check-health.ts')).checkHealthCommand(args)],
  ['status', async (args) => (await import('./status.ts')).statusCommand(args)],
  [
    'gc',
    async ([subcommand, ...rest]) => {
      if (subcommand === 'run-now') return (await import('./run-now.ts')).runNowCommand('gc', rest);
      process.stderr.write(`dockyard gc: unknown subcommand ${JSON.stringify(subcommand ?? '')}\n`);
      return 2;
    },
  ],
]);

/** The help text; only asked for by people, so it may load every command's module. */
async function usage(): Promise<string> {
  const [operator, crds, authServer, nodeProxy, retention, checkHealth, status, runNow] = await Promise.all([
    import('./operator.ts'),
    import('./crds.ts'),
    import('./auth-server.ts'),
    import('./node-proxy.ts'),
    import('./retention.ts'),
    import('./check-health.ts'),
    import('./status.ts'),
    import('./run-now.ts'),
  ]);
  return `dockyard: container registries inside your Kubernetes cluster

Usage:
  ${operator.operatorUsage}
  ${crds.crdsUsage}
  ${authServer.authServerUsage}
  ${nodeProxy.nodeProxyUsage}
  ${retention.retentionUsage}
  ${status.statusUsage}
  ${runNow.runNowUsage}
  ${checkHealth.checkHealthUsage}
  dockyard version
      Print the version.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command === undefined ? undefined : commands.get(command);
  if (run !== undefined) return run(rest);
  switch (command) {
    case 'version':
    case '--version':
      process.stdout.write(`${version}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(await usage());
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`dockyard: unknown command ${JSON.stringify(command)}\n\n${await usage()}`);
      return 2;
  }
}
