/**
 * The ESM loader's first use: what the first ES import of a process retains beyond what the next one
 * does, for the loader's own sake (its code paths compiled on first use, its caches started). Deferring
 * any one import would not remove it (the next ES import would pay it), so the report gives it a bucket of
 * its own, `esm-first-use`, rather than charging it to the first import or sharing it among all of them.
 *
 * Measured after the fact, off the program's path, in a fresh process of the target's own Node (probe.ts):
 * two small packages of the same shape (a package.json with `exports`, one ES module importing it by a
 * bare specifier), imported one after the other between full GCs: the first's bytes less the second's. As
 * the ground truth's warm-up (one small ES package imported first, unmeasured) takes it off the first
 * measured dependency. Measured here: 255 kB on Node 20, 138 kB on Node 22, 8-9 kB on Node 24 and 26
 * (identical in every run). (A third import retains about 40 kB less again on each, resolving a second
 * package's exports, which the ground truth's first measured dependency pays too: not counted here.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedProbe, runProbe } from './probe.js';

/** Run as a file, as a program is: `node -e` starts the loader before the script (Node 20 read 0 from it). */
const PROBE = `'use strict';
const { pathToFileURL } = require('node:url');
const settle = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
(async () => {
  const keep = [];
  const heap = [settle()];
  for (const i of [0, 1]) {
    keep.push(await import(pathToFileURL(__dirname + '/m' + i + '.mjs').href));
    heap.push(settle());
  }
  process.stdout.write(JSON.stringify({ first: heap[1] - heap[0], next: heap[2] - heap[1] }));
})();
`;

/** The bytes of the ESM loader's first use on this Node (never negative), or null where the probe failed. */
export function esmFirstUse(node: string): Promise<number | null> {
  return cachedProbe(node, ['esm-first-use'], () => measure(node));
}

async function measure(node: string): Promise<number | null> {
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(tmpdir(), 'importcost-esm-probe-'));
    for (const i of [0, 1]) {
      const pkg = join(dir, 'node_modules', `p${i}`);
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: `p${i}`, type: 'module', exports: { '.': './index.js' } }));
      writeFileSync(join(pkg, 'index.js'), `export default function f${i}() { return ${i}; }\n`);
      writeFileSync(join(dir, `m${i}.mjs`), `import f from 'p${i}';\nexport const v${i} = f();\n`);
    }
    writeFileSync(join(dir, 'probe.cjs'), PROBE);
    const out = await runProbe<{ first: number; next: number }>(node, [join(dir, 'probe.cjs')]);
    if (!out || typeof out.first !== 'number' || typeof out.next !== 'number') return null;
    return Math.max(0, out.first - out.next);
  } catch {
    return null;
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}
