// Ground truth for the benchmark, in the folder whose node_modules it loads from (run.js copies it beside
// the synthetic tree too), so that `import(name)` resolves as the app's own imports do.
//   node --expose-gc --no-flush-bytecode ground-truth.mjs bytes <spec>...   first-load retained bytes
//   node ground-truth.mjs time <spec>...                                     cold load wall time (ms)
// spec: "cjs:<name>" (require) or "esm:<name>" (import), loaded in the order given, as the app does.
// Bytes follow shared/NOTES.md and test/helpers/ground-truth.mjs: gc() twice, heapUsed, load, gc() twice.
// Prints JSON { "<spec>": number }.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const [mode, ...specs] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const settle = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const result = {};
const keep = [];
for (const spec of specs) {
  const how = spec.slice(0, 3);
  const name = spec.slice(4);
  const before = mode === 'bytes' ? settle() : performance.now();
  keep.push(how === 'cjs' ? require(name) : await import(name));
  result[spec] = mode === 'bytes' ? settle() - before : performance.now() - before;
}
process.stdout.write(JSON.stringify(result));
