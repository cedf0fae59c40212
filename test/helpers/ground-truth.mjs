// Ground truth for first-load retained heap (shared/NOTES.md): in a fresh `node --expose-gc
// --no-flush-bytecode` process, gc() twice, read heapUsed, load one dependency, gc() twice, read again.
// Dependencies listed together load in that order in one process, so each gets its first-load share.
// Usage: node --expose-gc --no-flush-bytecode ground-truth.mjs [--time] [--cold] <baseDir> <spec> [<spec>...]
//   spec: "cjs:lodash" (require, resolved from <baseDir>) or "esm:got" (import, resolved from this
//   script's folder: the benchmark copies it next to each app so that imports resolve as the app's do)
//   --time: cold load wall time (ms) instead of bytes (no GC flags needed)
//   --cold: do not warm the ESM loader first (see WARM_UP)
// With any "esm:" spec, one unrelated small ES package (WARM_UP) is imported first, unmeasured: the ESM
// loader's first-use costs go to whichever ES import comes first, and deferring that import would not
// remove them (the next would pay them), so they are no package's cost. Measured on Node 22, 24 and 26:
// got imported first retains 4.76, 5.07 and 5.35 MB cold, 4.42, 4.70 and 4.98 MB warm (3 runs each,
// within 1 kB); execa after it moves by 20 kB.
// Prints JSON { "<spec>": number, ... }. Used by the tests (test/helpers/run.ts) and by npm run bench.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Pinned in both package.json files whose folders this script resolves from (root, test/bench/apps). */
const WARM_UP = 'tinyrainbow';
const options = new Set();
const args = process.argv.slice(2);
while (args[0]?.startsWith('--')) options.add(args.shift());
const time = options.has('--time');
const [baseDir, ...specs] = args;
const require = createRequire(join(baseDir, 'noop.js'));
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
  keep.push(how === 'cjs' ? require(name) : await import(name));
  result[spec] = measure() - before;
}
process.stdout.write(JSON.stringify(result));
