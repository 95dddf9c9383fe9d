import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describeIssues } from '../api/field-path.ts';
import { RetentionPolicySpec } from '../api/v1alpha1/retention-policy.ts';
import type { BasicCredentials } from '../oci/authorizer.ts';
import { RegistryClient } from '../oci/client.ts';
import { inventoryReadHeader } from '../registry-auth/pod-contract.ts';
import { evaluate, policySelects } from '../retention/evaluate.ts';
import { renderPlanTable } from '../retention/plan-table.ts';
import { retentionReport } from '../retention/report.ts';
import { nothingInUse, type InUseSet } from '../retention/snapshot.ts';
import { readPushRecords } from '../retention/runner/read-records.ts';
import { readRegistrySnapshot } from '../retention/runner/read-registry.ts';

export const retentionUsage = `dockyard retention run --policy NAMESPACE/NAME --registry URL --registry-host HOST... [flags]
      One retention run, as the RetentionPolicy's Job runs it: read what the cluster runs and what the
      registry holds, decide, delete (unless the policy is a dry run or a safety rail trips), report.
      --policy NAMESPACE/NAME  the RetentionPolicy, read from the cluster (in-cluster credentials or --kubeconfig)
      --registry URL           the registry's API, such as http://main-registry.team-a.svc:5000
      --registry-host HOST     a name images reference the registry by (repeat: Service forms, localhost:PORT, ingress)
      --credentials-dir DIR    a mounted Secret: username and password files (the maintainer identity; anonymous
                               without them), and ca.crt when the registry's certificate needs a private CA
      --strategy S             auto (default: untag by tag, by digest where refused), byDigest or untagByTag
      --report-file FILE       write the full report (JSON) there; the summary is the last log line
      --termination-log FILE   write the summary there too (default /dev/termination-log when it exists)
      --report-job NAME        the run's Job: leave the summary and the report as ConfigMaps owned by it
      --report-job-uid UID     (with --report-job) the Job's uid, for the ownerReference
      --report-namespace NS    (with --report-job) where: the Job's namespace, whence the operator copies them
  dockyard retention plan --registry URL --policy FILE [flags]
      Preview what a RetentionPolicy would delete from a registry, deleting nothing. No cluster needed.
      --registry URL           the registry, such as https://registry.example.com or http://localhost:5000
      --policy FILE            a RetentionPolicy (YAML or JSON); its spec's rules decide
      --username NAME          with --password-stdin; otherwise ~/.docker/config.json's entry for the host
      --password-stdin         read the password from standard input
      --docker-config FILE     where to read credentials (default ~/.docker/config.json)
      --kubeconfig FILE        also keep what that cluster runs (Pods and Pod templates, read-only)
      --output table|json      a table per repository (default), or the full report as JSON
      --deletions-only         in the table, list only what would be deleted`;

/** `dockyard retention plan`: the laptop preview of a policy against a live registry. */
export async function retentionCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'run') return runCommand(rest);
  if (subcommand === 'run-now') return (await import('./run-now.ts')).runNowCommand('retention', rest);
  if (subcommand !== 'plan') {
    process.stderr.write(`dockyard retention: unknown subcommand ${JSON.stringify(subcommand ?? '')}\n\n${retentionUsage}\n`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      registry: { type: 'string' },
      policy: { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'docker-config': { type: 'string' },
      kubeconfig: { type: 'string' },
      output: { type: 'string', default: 'table' },
      'deletions-only': { type: 'boolean', default: false },
    },
  });
  if (values.registry === undefined) throw new Error('--registry is required');
  if (values.policy === undefined) throw new Error('--policy is required');
  if (values.output !== 'table' && values.output !== 'json') throw new Error(`--output must be table or json, not ${JSON.stringify(values.output)}`);
  const policy = await readPolicy(values.policy);
  const credentials = await credentialsFor(values.registry, {
    username: values.username,
    passwordFromStdin: values['password-stdin'],
    dockerConfig: values['docker-config'] ?? join(homedir(), '.docker', 'config.json'),
  });

  const client = new RegistryClient({ url: values.registry, credentials, repositoryActions: ['pull'], headers: { [inventoryReadHeader]: 'true' } });
  const progress = process.stderr.isTTY
    ? (done: { repositories: number; tags: number }) => process.stderr.write(`\rread ${done.repositories} repositories, ${done.tags} tags`)
    : undefined;
  const recorded = await readPushRecords(client, policySelects(policy)).catch(async (error: unknown) => {
    await client.close();
    throw error;
  });
  const snapshot = await readRegistrySnapshot(client, {
    selects: policySelects(policy),
    needCreatedTimes: true,
    records: recorded.records,
    ...(progress ? { onProgress: progress } : {}),
  }).finally(() => client.close());
  if (progress) process.stderr.write('\n');
  const inUse = values.kubeconfig === undefined ? nothingInUse : await clusterInUse(values.kubeconfig, values.registry);
  const evaluation = evaluate(snapshot, policy, inUse, Date.now());
  process.stdout.write(
    values.output === 'json'
      ? `${JSON.stringify(retentionReport(evaluation), null, 2)}\n`
      : `${renderPlanTable(evaluation, { deletionsOnly: values['deletions-only'] })}\n`,
  );
  if (recorded.records === undefined) process.stderr.write(`note: ranked by the images' created times: ${recorded.reason}\n`);
  if (values.kubeconfig === undefined) {
    process.stderr.write('note: without --kubeconfig, images the cluster runs are not protected in this preview (a scheduled run always reads them)\n');
  }
  return 0;
}

async function readPolicy(file: string): Promise<RetentionPolicySpec> {
  const document = parseYaml(await readFile(file, 'utf8')) as { kind?: string; spec?: unknown } | null;
  const spec = document?.kind === 'RetentionPolicy' ? document.spec : document;
  const parsed = RetentionPolicySpec.safeParse(spec);
  if (!parsed.success) throw new Error(`${file}: not a valid RetentionPolicy spec: ${describeIssues(parsed.error).replaceAll('\n', '; ')}`);
  return parsed.data;
}

async function credentialsFor(
  registry: string,
  options: { username: string | undefined; passwordFromStdin: boolean; dockerConfig: string },
): Promise<BasicCredentials | undefined> {
  if (options.passwordFromStdin) {
    if (options.username === undefined) throw new Error('--password-stdin needs --username');
    const password = (await readStdin()).replace(/\r?\n$/, '');
    return { username: options.username, password };
  }
  if (options.username !== undefined) throw new Error('--username needs --password-stdin (a password on the command line would show in the process list)');
  const host = new URL(registry).host;
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(await readFile(options.dockerConfig, 'utf8'));
  } catch {
    return undefined;
  }
  const entry = config.auths?.[host] ?? config.auths?.[`https://${host}`] ?? config.auths?.[`http://${host}`];
  if (entry?.auth !== undefined) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator > 0) return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
  }
  if (entry?.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  return undefined;
}

async function clusterInUse(kubeconfigPath: string, registry: string): Promise<InUseSet> {
  const [{ loadKubeConfig }, { KubeClient }, { collectInUse, inUseSetOf }] = await Promise.all([
    import('../kube-config.ts'),
    import('../runtime/kube-client.ts'),
    import('../retention/runner/in-use.ts'),
  ]);
  const client = new KubeClient(loadKubeConfig(kubeconfigPath));
  return inUseSetOf(await collectInUse(client, [new URL(registry).host]));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** `dockyard retention run`: what a RetentionPolicy's Job executes. Exit 0 when the run succeeded or a safety rail kept it from deleting; 1 when it failed. */
async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      policy: { type: 'string' },
      registry: { type: 'string' },
      'registry-host': { type: 'string', multiple: true, default: [] },
      'credentials-dir': { type: 'string' },
      strategy: { type: 'string', default: 'auto' },
      'report-file': { type: 'string' },
      'termination-log': { type: 'string' },
      'report-job': { type: 'string' },
      'report-job-uid': { type: 'string' },
      'report-namespace': { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  });
  const reportOwner = reportOwnerFrom(values['report-job'], values['report-job-uid'], values['report-namespace']);
  const policyKey = values.policy?.split('/');
  if (policyKey?.length !== 2 || !policyKey[0] || !policyKey[1]) throw new Error('--policy NAMESPACE/NAME is required');
  if (values.registry === undefined) throw new Error('--registry is required');
  const strategy = values.strategy;
  if (strategy !== 'auto' && strategy !== 'byDigest' && strategy !== 'untagByTag')
    throw new Error(`--strategy must be auto, byDigest or untagByTag, not ${JSON.stringify(strategy)}`);

  const [{ loadKubeConfig }, { KubeClient }, { createLogger }, { runRetention }, { retentionPolicyResource }] = await Promise.all([
    import('../kube-config.ts'),
    import('../runtime/kube-client.ts'),
    import('../log.ts'),
    import('../retention/runner/run.ts'),
    import('../retention/runner/policy-resource.ts'),
  ]);
  const log = createLogger({ name: 'dockyard-retention' }).child({ policy: values.policy });
  const cluster = new KubeClient(loadKubeConfig(values.kubeconfig));
  const [namespace, name] = policyKey as [string, string];
  const object = await cluster.get<{ spec?: unknown; metadata?: { generation?: number } }>(retentionPolicyResource, { namespace, name });
  const parsed = RetentionPolicySpec.safeParse(object.spec);
  if (!parsed.success) throw new Error(`RetentionPolicy ${values.policy}: the spec cannot be read: ${describeIssues(parsed.error).replaceAll('\n', '; ')}`);
  const { credentials, ca } = values['credentials-dir'] === undefined ? {} : await credentialsFromDirectory(values['credentials-dir']);
  const registry = new RegistryClient({
    url: values.registry,
    credentials,
    ...(ca !== undefined ? { ca } : {}),
    repositoryActions: ['pull', 'delete'],
    headers: { [inventoryReadHeader]: 'true' },
  });
  try {
    const { summary, report } = await runRetention({
      rules: parsed.data,
      dryRun: parsed.data.dryRun,
      registry,
      registryHosts: values['registry-host'].length > 0 ? values['registry-host'] : [new URL(values.registry).host],
      cluster,
      strategy,
      log,
    });
    if (values['report-file'] !== undefined && report !== undefined) await writeFile(values['report-file'], JSON.stringify(report));
    // The last log line carries the summary, for people and scripts reading the Job's log, and
    // the requests sent by kind (token and push-record requests included), for sizing a registry's
    // load; "tokenRequests", as the logger redacts every field named token.
    const { token: tokenRequests, ...sent } = registry.requestCounts();
    log.info({ ...summary, requests: { ...sent, tokenRequests } }, 'retention run ended');
    const line = JSON.stringify(summary);
    const terminationLog = values['termination-log'] ?? (existsSync('/dev/termination-log') ? '/dev/termination-log' : undefined);
    // The Pod's termination message (4 KiB at most) is how the operator learns the outcome without reading logs.
    if (terminationLog !== undefined) await writeFile(terminationLog, line.slice(0, 4096));
    if (reportOwner !== undefined) {
      const { stageReport } = await import('../retention/runner/stage-report.ts');
      const parts = await stageReport(cluster, reportOwner, summary, report);
      log.info({ namespace: reportOwner.namespace, job: reportOwner.job, parts }, 'left the summary and report for the operator');
    }
    return summary.outcome === 'Failed' ? 1 : 0;
  } finally {
    await registry.close();
  }
}

function reportOwnerFrom(job: string | undefined, uid: string | undefined, namespace: string | undefined) {
  if (job === undefined && uid === undefined && namespace === undefined) return undefined;
  if (!job || !uid || !namespace) throw new Error('--report-job, --report-job-uid and --report-namespace go together');
  return { job, uid, namespace };
}

/** A mounted Secret's `username`, `password` and `ca.crt` files, each optional; the password never leaves this process. */
async function credentialsFromDirectory(directory: string): Promise<{ credentials?: BasicCredentials; ca?: string }> {
  const read = async (key: string) => {
    try {
      return await readFile(join(directory, key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  const [username, password, ca] = await Promise.all([read('username'), read('password'), read('ca.crt')]);
  return {
    ...(username !== undefined && password !== undefined ? { credentials: { username: username.trim(), password: password.trim() } } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
}
