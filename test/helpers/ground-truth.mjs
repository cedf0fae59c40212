// Ground truth for first-load retained heap (shared/NOTES.md): in a fresh `node --expose-gc
// --no-flush-bytecode` process, gc() twice, read heapUsed, load one dependency, gc() twice, read again.
// Dependencies listed together load in that order in one process, so each gets its first-load share.
// Usage: node --expose-gc --no-flush-bytecode ground-truth.mjs [--time] <baseDir> <spec> [<spec>...]
//   spec: "cjs:lodash" (require, resolved from <baseDir>) or "esm:got" (import, resolved from this
//   script's folder: the benchmark copies it next to each app so that imports resolve as the app's do)
//   --time: cold load wall time (ms) instead of bytes (no GC flags needed)
// Prints JSON { "<spec>": number, ... }. Used by the tests (test/helpers/run.ts) and by npm run bench.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const time = args[0] === '--time';
const [baseDir, ...specs] = time ? args.slice(1) : args;
const require = createRequire(join(baseDir, 'noop.js'));
const settle = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const measure = time ? () => performance.now() : settle;
const result = {};
const keep = [];
for (const spec of specs) {
  const [how, name] = [spec.slice(0, 3), spec.slice(4)];
  const before = measure();
  keep.push(how === 'cjs' ? require(name) : await import(name));
  result[spec] = measure() - before;
}
process.stdout.write(JSON.stringify(result));
