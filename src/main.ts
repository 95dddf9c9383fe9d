#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { crdsCommand, crdsUsage } from './cli/crds.ts';
import { runOperator } from './cli/operator.ts';
import { version } from './version.ts';

const usage = `dockyard: container registries inside your Kubernetes cluster

Usage:
  dockyard operator [--kubeconfig PATH] [--health-addr HOST:PORT] [--log-level LEVEL]
      Run the operator: reconcile Registry, ImageRepository and RetentionPolicy objects.
  ${crdsUsage}
  dockyard version
      Print the version.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'operator': {
      const { values } = parseArgs({
        args: rest,
        options: {
          kubeconfig: { type: 'string' },
          'health-addr': { type: 'string', default: ':8081' },
          'log-level': { type: 'string' },
        },
        strict: true,
      });
      return runOperator({ kubeconfig: values.kubeconfig, healthAddress: values['health-addr'], logLevel: values['log-level'] });
    }
    case 'crds':
      return crdsCommand(rest);
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
