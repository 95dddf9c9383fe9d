#!/usr/bin/env node
/**
 * The entry point checks the Node.js version before anything else loads: the bundle's modules
 * use Node 24 APIs at load time, and an older Node would die on the first of them with a message
 * about `bind` or `undefined` that names neither Node nor its version. So this file imports
 * nothing statically, and uses no syntax older Nodes cannot parse.
 */
const requiredMajor = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major < requiredMajor) {
  process.stderr.write(`dockyard needs Node.js ${requiredMajor} or newer; this is ${process.versions.node}\n`);
  process.exitCode = 1;
} else {
  import('./cli/dispatch.ts')
    .then(({ main }) => main(process.argv.slice(2)))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`dockyard: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      },
    );
}
