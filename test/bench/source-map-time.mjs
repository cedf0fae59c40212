#!/usr/bin/env node
// How long importcost takes to read a bundle's source map (find it, read it, decode it with the
// `source-map` package, flatten it for the analysis): builds an esbuild bundle of real packages with an
// external map into a temp folder, then times readSourceMaps in 5 fresh processes and prints the median.
//   npm run build && node test/bench/source-map-time.mjs [package ...]
// Default packages: the nine below (an 8.4 MB map); add typescript for a 22.7 MB one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packages = process.argv.length > 2 ? process.argv.slice(2) : ['express', 'lodash', 'fastify', '@aws-sdk/client-s3', 'ajv', 'got', 'execa', 'semver', 'pino'];
const dir = mkdtempSync(join(tmpdir(), 'importcost-map-time-'));
try {
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'app.cjs'), `module.exports = [${packages.map((p) => `require('${p}')`).join(', ')}];\n`);
  execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), ['app.cjs', '--bundle', '--platform=node', '--sourcemap', '--outfile=out/app.js', '--log-level=error'], { cwd: dir });
  const file = join(dir, 'out', 'app.js');
  const probe = `const { readSourceMaps } = await import(${JSON.stringify(join(root, 'dist', 'profile', 'source-maps.js'))});
const { rawModule } = await import(${JSON.stringify(join(root, 'dist', 'analysis', 'list-modules.js'))});
const t = performance.now(); const facts = await readSourceMaps([rawModule(${JSON.stringify(file)})]);
process.stdout.write(JSON.stringify({ ms: performance.now() - t, sources: [...facts.maps.values()][0].data.sources.length }));`;
  const runs = [0, 1, 2, 3, 4].map(() => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })));
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  const mb = (f) => (statSync(f).size / 1e6).toFixed(1);
  console.log(`bundle ${mb(file)} MB, map ${mb(`${file}.map`)} MB, ${runs[0].sources} sources: median ${Math.round(ms[2])} ms (${ms.map(Math.round).join(', ')})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
