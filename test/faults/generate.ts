/**
 * Programs the fault suite generates at test time (too large, or with names too odd, to commit): a deep
 * chain of requires, an app in a folder whose names have spaces and non-ASCII characters, and pnpm's
 * symlinked node_modules layout.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Write `file` under `root`, making its folders. */
export function put(root: string, file: string, text: string): string {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A relative symlink at `link` (under `root`) to `target` (under `root`), as pnpm makes them. */
export function link(root: string, target: string, at: string): void {
  mkdirSync(dirname(join(root, at)), { recursive: true });
  symlinkSync(relative(dirname(join(root, at)), join(root, target)), join(root, at));
}

/**
 * m0.js requires m1.js, which requires m2.js... down to m<n-1>.js: `n` nested loads, each keeping a
 * 1,000-character string. Returns the entry (m0.js).
 */
export function writeChain(dir: string, n: number): string {
  put(dir, 'package.json', JSON.stringify({ type: 'commonjs' }));
  for (let i = 0; i < n; i++) {
    put(dir, `m${i}.js`, i + 1 < n ? `exports.next = require('./m${i + 1}.js');\nexports.keep = 'm${i}:' + 'x'.repeat(1000);\n` : `exports.depth = ${n};\n`);
  }
  return join(dir, 'm0.js');
}

/** A module body that keeps 20,000 small objects alive (0.8-1.2 MB measured on Node 20). */
export const KEEPS = 'globalThis.__kept = (globalThis.__kept || []).concat([Array.from({ length: 20000 }, (_, i) => ({ i }))]);\n';

/**
 * An app in `<dir>/my app ünï 日本/`: a CommonJS entry and an ES module entry, each loading a file of
 * its own with spaces, accents and a `%` and `#` in its name (which a file: URL must escape), and lodash.
 */
export function writeOddPathApp(dir: string, nodeModules: string): { app: string; cjs: string; esm: string } {
  const app = join(dir, 'my app ünï 日本');
  put(app, 'package.json', JSON.stringify({ name: 'odd-path-app', version: '1.0.0', type: 'commonjs' }));
  symlinkSync(nodeModules, join(app, 'node_modules'));
  put(app, 'src/dép ü%41 #1.js', KEEPS);
  put(app, 'src/ésm dep %2F #2.mjs', `${KEEPS}export const loaded = true;\n`);
  const cjs = put(app, 'ëntry file.js', "require('./src/dép ü%41 #1.js');\nrequire('lodash');\n");
  const esm = put(app, 'ëntry 日本.mjs', "import './src/ésm dep %252F %232.mjs';\nimport 'lodash';\n");
  return { app, cjs, esm };
}

/**
 * pnpm's layout: every package's files in node_modules/.pnpm/<name>@<version>/node_modules/<name>, its
 * own dependencies as symlinks beside it, and the app's direct dependencies as symlinks in node_modules.
 * `alpha@1.0.0` and `beta@2.0.0` both depend on `shared@3.0.0` (one copy) and on different versions of
 * `twin` (1.0.0 and 2.0.0: two copies); `@scope/gamma@0.5.0` is an ES module package. `shared` keeps
 * about 1 MB, so what deferring `alpha` saves (not `shared`: `beta` needs it) is measurable.
 */
export function writePnpmApp(dir: string): string {
  put(dir, 'package.json', JSON.stringify({ name: 'pnpm-app', version: '1.0.0', type: 'commonjs' }));
  const store = (name: string, version: string) => `node_modules/.pnpm/${name.replace('/', '+')}@${version}/node_modules/${name}`;
  const pkg = (name: string, version: string, files: Record<string, string>, extra: object = {}) => {
    put(dir, `${store(name, version)}/package.json`, JSON.stringify({ name, version, ...extra }));
    for (const [file, text] of Object.entries(files)) put(dir, `${store(name, version)}/${file}`, text);
  };
  const dependsOn = (name: string, version: string, dep: string, depVersion: string) =>
    link(dir, store(dep, depVersion), `node_modules/.pnpm/${name.replace('/', '+')}@${version}/node_modules/${dep}`);
  pkg('shared', '3.0.0', { 'index.js': KEEPS });
  pkg('twin', '1.0.0', { 'index.js': 'module.exports = 1;\n' });
  pkg('twin', '2.0.0', { 'index.js': 'module.exports = 2;\n' });
  pkg('alpha', '1.0.0', { 'index.js': "require('shared');\nrequire('twin');\nrequire('./lib/inner.js');\n", 'lib/inner.js': 'module.exports = 0;\n' });
  pkg('beta', '2.0.0', { 'index.js': "require('shared');\nrequire('twin');\n" });
  pkg('@scope/gamma', '0.5.0', { 'index.mjs': "import 'twin';\nexport const gamma = 1;\n" }, { exports: './index.mjs' });
  dependsOn('alpha', '1.0.0', 'shared', '3.0.0');
  dependsOn('alpha', '1.0.0', 'twin', '1.0.0');
  dependsOn('beta', '2.0.0', 'shared', '3.0.0');
  dependsOn('beta', '2.0.0', 'twin', '2.0.0');
  dependsOn('@scope/gamma', '0.5.0', 'twin', '2.0.0');
  for (const [name, version] of [['alpha', '1.0.0'], ['beta', '2.0.0'], ['@scope/gamma', '0.5.0']] as const) link(dir, store(name, version), `node_modules/${name}`);
  return put(dir, 'index.js', "require('alpha');\nrequire('beta');\nimport('@scope/gamma').then(() => console.log('loaded'));\n");
}
