/**
 * Dockyard's import rules, checked by `make lint` (dependency-cruiser). Each rule says which way
 * knowledge may flow between the folders of src/ (see DESIGN.md, "Architecture"); a rule broken
 * here is a design decision to argue in review, not a lint warning to silence.
 */
const kubernetesClient = '(^|/)node_modules/@kubernetes/client-node/';
const http = ['(^|/)node_modules/undici/', '^(node:)?https?$', '^(node:)?http2$', '^(node:)?net$', '^(node:)?tls$'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other cannot be understood, tested or bundled one at a time.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'runtime-knows-no-kind',
      severity: 'error',
      comment: 'src/runtime/ is a generic controller runtime: it knows no Dockyard kind, no registry, no controller.',
      from: { path: '^src/runtime/' },
      to: { path: '^src/', pathNot: ['^src/runtime/', '^src/version\\.ts$'] },
    },
    {
      name: 'api-is-data',
      severity: 'error',
      comment:
        'src/api/ is schemas and grammars: it imports nothing of the operator, except the OCI name grammar (src/oci/reference.ts), which the OCI client owns because registries define it, and which the CRD patterns, the token service and the client must read alike.',
      from: { path: '^src/api/' },
      to: { path: '^src/', pathNot: ['^src/api/', '^src/oci/reference\\.ts$'] },
    },
    {
      name: 'oci-grammar-imports-nothing',
      severity: 'error',
      comment: 'src/oci/reference.ts is shared with src/api/ and the registry Pod; it stays a leaf, so sharing it shares nothing else.',
      from: { path: '^src/oci/reference\\.ts$' },
      to: { path: '.' },
    },
    {
      name: 'oci-knows-no-kubernetes',
      severity: 'error',
      comment: 'src/oci/ speaks the OCI distribution API and nothing else: no Kubernetes client, no kinds, no controllers.',
      from: { path: '^src/oci/' },
      to: { path: [kubernetesClient, '^src/(runtime|controllers|api|retention|cli|auth-server|node-proxy)/'] },
    },
    {
      name: 'retention-engine-is-pure',
      severity: 'error',
      comment: 'The retention engine decides from data it is given: no Kubernetes, no HTTP, no OCI client (it may read src/api/ for the policy\'s schema and grammars). The job runner beside it (src/retention/runner/) feeds it.',
      from: { path: '^src/retention/', pathNot: '^src/retention/runner/' },
      to: { path: [kubernetesClient, ...http, '^src/(runtime|controllers|oci|cli|auth-server|node-proxy)/', '^src/retention/runner/'] },
    },
    {
      name: 'pod-side-imports-no-controller',
      severity: 'error',
      comment: 'What runs in the registry Pod or on the nodes (auth server, token logic, node proxy) never loads a controller: they ship as small chunks under tight memory limits, and the Pod contract is owned by the side that serves it.',
      from: { path: '^src/(auth-server|registry-auth|node-proxy)/' },
      // secret-data.ts is a base64 reader with no imports; the rest of the runtime loads the Kubernetes client.
      to: { path: ['^src/(controllers|retention|cli)/', '^src/runtime/'], pathNot: '^src/runtime/secret-data\\.ts$' },
    },
    {
      name: 'controllers-stay-apart',
      severity: 'error',
      comment: 'A controller imports no other controller; what several share lives in src/controllers/common/.',
      from: { path: '^src/controllers/([^/]+)/' },
      to: { path: '^src/controllers/', pathNot: ['^src/controllers/$1/', '^src/controllers/common/', '^src/controllers/index\\.ts$'] },
    },
    {
      name: 'common-imports-no-controller',
      severity: 'error',
      comment: 'src/controllers/common/ serves every controller, so it imports none of them.',
      from: { path: '^src/controllers/common/' },
      to: { path: '^src/controllers/', pathNot: '^src/controllers/common/' },
    },
    {
      name: 'product-imports-no-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'tests-share-through-support',
      severity: 'error',
      comment: 'Integration tests, cluster tooling and benchmarks share helpers through test/support/ (or test/registry/, test/cluster/), never by importing another suite.',
      from: { path: '^(test/(integration|cluster|registry|support)|bench)/' },
      to: { path: '^test/unit/' },
    },
    {
      name: 'bench-imports-no-integration-test',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/integration/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    exclude: { path: '^test/cluster/go/' },
  },
};
