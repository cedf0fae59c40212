// Ground truth for first-load retained heap (shared/NOTES.md): in a fresh `node --expose-gc
// --no-flush-bytecode` process, gc() twice, read heapUsed, load one dependency, gc() twice, read again.
// Dependencies listed together load in that order in one process, so each gets its first-load share.
// Usage: node --expose-gc --no-flush-bytecode ground-truth.mjs <baseDir> <spec> [<spec>...]
//   spec: "cjs:lodash" (require) or "esm:got" (import)
// Prints JSON { "<spec>": bytes, ... }.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [baseDir, ...specs] = process.argv.slice(2);
const require = createRequire(join(baseDir, 'noop.js'));
const settle = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const result = {};
const keep = [];
for (const spec of specs) {
  const [how, name] = [spec.slice(0, 3), spec.slice(4)];
  const before = settle();
  if (how === 'cjs') keep.push(require(name));
  else keep.push(await import(pathToFileURL(require.resolve(name)).href).catch(() => import(name)));
  result[spec] = settle() - before;
}
process.stdout.write(JSON.stringify(result));
