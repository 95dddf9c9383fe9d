import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { KeyPair } from './certificates.ts';

/** Writes a kubeconfig that authenticates with a client certificate, referenced by path. */
export async function writeKubeconfig(path: string, server: string, caFile: string, client: KeyPair, user: string): Promise<string> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'dockyard-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { 'client-certificate': client.certFile, 'client-key': client.keyFile } }],
    contexts: [{ name: 'dockyard-test', context: { cluster: 'dockyard-test', user, namespace: 'default' } }],
    'current-context': 'dockyard-test',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
