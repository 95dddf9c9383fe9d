// Loaded with `node --import` into a child process: on exit it prints, as one JSON line on
// stderr, the npm packages the process imported. Tests use it to check what a command loads.
import { writeSync } from 'node:fs';
import { registerHooks } from 'node:module';

const packages = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url);
    if (inPackage?.[1] !== undefined) packages.add(inPackage[1]);
    return resolved;
  },
});
process.on('exit', () => writeSync(2, `\nloaded-packages ${JSON.stringify([...packages].sort())}\n`));
