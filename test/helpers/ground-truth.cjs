// Ground truth for first-load retained heap (shared/NOTES.md): in a fresh `node --expose-gc
// --no-flush-bytecode` process, gc() twice, read heapUsed, load one dependency, gc() twice, read again.
// Dependencies listed together load in that order in one process, so each gets its first-load share.
// Usage: node --expose-gc --no-flush-bytecode ground-truth.cjs [--time] [--cold] <baseDir> <spec> [<spec>...]
//   (ground-truth.mjs, the same from an ES module script, for ES module programs: see below)
//   spec: "cjs:lodash" (require, resolved from <baseDir>) or "esm:got" (import, resolved from this
//   script's folder: the benchmark copies it next to each app so that imports resolve as the app's do)
//   --time: cold load wall time (ms) instead of bytes (no GC flags needed)
//   --cold: do not warm the ESM loader first (see WARM_UP)
// A CommonJS script, as `node app.js` is: an ES module script starts Node's ESM loader first, which
// loads builtins (stream, string_decoder, querystring...) a CommonJS program pays for itself when a
// dependency first needs them; an ES module program (`node app.mjs`) has them loaded, as
// ground-truth.mjs does (test/helpers/run.ts picks the script that matches the program). Measured on Node 20, express then lodash, fastify, @aws-sdk/client-s3
// (3 runs each): express 2.98-3.18 MB from here against 2.64-2.83 MB from an .mjs script, fastify 2.09
// against 1.93 MB (perf_hooks, which the .mjs script loaded itself); on Node 26 express read the same,
// fastify 2.54 against 2.45 MB.
// With any "esm:" spec, one unrelated small ES package (WARM_UP) is imported first, unmeasured: the ESM
// loader's first use of its code paths goes to whichever ES import comes first, and deferring that import
// would not remove it (the next would pay it), so it is no package's cost. The package must import nothing
// (no builtin, no other package): the first importer of a builtin pays for it and for the Node internals it
// loads, as with require(). Measured (got imported first, 3 runs each, cold minus warm with leven): 58-67 kB
// on Node 22 and 24, 25-65 kB on Node 26, and within Node 20's own spread (-212..+61 kB: its JIT moves got
// by 0.2 MB). With tinyrainbow as the warm-up, which imports node:tty, it was 0.30-0.37 MB: on Node 26 got
// retains 5.37 MB cold, 5.06 MB after node:tty alone, 5.00 MB after tinyrainbow. leven is a dependency of
// none of the measured packages.
// Prints JSON { "<spec>": number, ... }. Used by the tests (test/helpers/run.ts) and by npm run bench.
'use strict';
const { createRequire } = require('node:module');
const { join } = require('node:path');

/** Pinned in both package.json files whose folders this script resolves from (root, test/bench/apps). */
const WARM_UP = 'leven';

/** Measure, and print the JSON; `args` as on the command line. */
async function run(args) {
  const options = new Set();
  while (args[0]?.startsWith('--')) options.add(args.shift());
  const time = options.has('--time');
  const [baseDir, ...specs] = args;
  const requireFrom = createRequire(join(baseDir, 'noop.js'));
  const settle = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const measure = time ? () => performance.now() : settle;
  const result = {};
  const keep = [];
  if (!options.has('--cold') && specs.some((spec) => spec.startsWith('esm:'))) keep.push(await import(WARM_UP));
  for (const spec of specs) {
    const [how, name] = [spec.slice(0, 3), spec.slice(4)];
    const before = measure();
    keep.push(how === 'cjs' ? requireFrom(name) : await import(name));
    result[spec] = measure() - before;
  }
  process.stdout.write(JSON.stringify(result));
}

if (require.main === module) run(process.argv.slice(2));

module.exports = { run };
