#!/usr/bin/env node
import { authServerCommand, authServerUsage } from './cli/auth-server.ts';
import { crdsCommand, crdsUsage } from './cli/crds.ts';
import { nodeProxyCommand, nodeProxyUsage } from './cli/node-proxy.ts';
import { operatorCommand, operatorUsage } from './cli/operator.ts';
import { version } from './version.ts';

const usage = `dockyard: container registries inside your Kubernetes cluster

Usage:
  ${operatorUsage}
  ${crdsUsage}
  ${authServerUsage}
  ${nodeProxyUsage}
  dockyard version
      Print the version.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'operator':
      return operatorCommand(rest);
    case 'auth-server':
      return authServerCommand(rest);
    case 'crds':
      return crdsCommand(rest);
    case 'node-proxy':
      return nodeProxyCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write(`${version}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`dockyard: unknown command ${JSON.stringify(command)}\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`dockyard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
