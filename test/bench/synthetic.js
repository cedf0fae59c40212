// A generated CommonJS tree of `packages` packages, each an index that loads `groups` group files that
// load `leaves` leaf files each: packages * (1 + groups + groups * leaves) modules, plus the entry.
// Every file keeps some objects and strings alive and defines a few functions, in sizes that vary by
// package, so packages differ in retained bytes the way real ones do.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function leafSource(id, weight) {
  return `'use strict';
const table = [];
for (let i = 0; i < ${8 * weight}; i++) table.push({ i, key: ${JSON.stringify(id)} + ':' + i, flags: [i & 1, i & 2] });
function find(key) { return table.find((row) => row.key === key) ?? null; }
function count(pred) { let n = 0; for (const row of table) if (pred(row)) n++; return n; }
function describe() { return ${JSON.stringify(id)} + ' has ' + table.length + ' rows'; }
module.exports = { table, find, count, describe, name: ${JSON.stringify(id)} };
`;
}

/** Writes the tree into `dir` and returns the entry file and the top-level package names, in load order. */
export function generateSynthetic(dir, { packages = 20, groups = 24, leaves = 20 } = {}) {
  const names = [];
  for (let p = 0; p < packages; p++) {
    const name = `synth-${String(p).padStart(3, '0')}`;
    const weight = 1 + (p % 5);
    const root = join(dir, 'node_modules', name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
    const groupNames = [];
    for (let g = 0; g < groups; g++) {
      const leafNames = [];
      for (let l = 0; l < leaves; l++) {
        const file = `g${g}-l${l}.js`;
        writeFileSync(join(root, file), leafSource(`${name}/${file}`, weight));
        leafNames.push(file);
      }
      const file = `g${g}.js`;
      writeFileSync(join(root, file), `'use strict';\nmodule.exports = [\n${leafNames.map((f) => `  require('./${f}'),`).join('\n')}\n];\n`);
      groupNames.push(file);
    }
    writeFileSync(join(root, 'index.js'), `'use strict';\nmodule.exports = [\n${groupNames.map((f) => `  require('./${f}'),`).join('\n')}\n];\n`);
    names.push(name);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'synthetic-app', private: true }));
  const entry = join(dir, 'app.cjs');
  writeFileSync(entry, `'use strict';\n${names.map((n) => `require('${n}');`).join('\n')}\n`);
  return { entry, names, modules: packages * (1 + groups + groups * leaves) + 1 };
}
