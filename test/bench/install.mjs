// Install time and size of importcost as npm users get it (BENCHMARKS.md, "Installing from npm"): pack
// the repo once (its prepack builds dist/), then for each run a fresh app with its own dependency
// installed, the tarball installed into it with `npm install --save-dev --prefer-offline`, timed, and
// the bytes it added to node_modules. Prints each run and the medians.
//
//   node test/bench/install.mjs [runs=5] [--optional-v8-profiler-next]
//
// --optional-v8-profiler-next measures the package as it was before: the same tarball with
// v8-profiler-next back among its optionalDependencies (npm then builds it with node-gyp).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_DEPENDENCY, installTarball, listPackages, makeApp, packTarball, run, treeBytes } from '../helpers/packaging.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
const before = process.argv.includes('--optional-v8-profiler-next');
const work = mkdtempSync(join(tmpdir(), 'importcost-install-bench-'));

try {
  let { tarball } = await packTarball(root, work);
  if (before) tarball = await withOptionalV8ProfilerNext(tarball);
  console.log(`${runs} installs of ${tarball}${before ? ' (v8-profiler-next optional)' : ''} into an app with ${APP_DEPENDENCY}`);
  const results = [];
  for (let i = 0; i < runs; i++) {
    const app = join(work, `app-${i}`);
    mkdirSync(app);
    await makeApp(app);
    const bytesBefore = treeBytes(join(app, 'node_modules'));
    const packagesBefore = listPackages(join(app, 'node_modules')).length;
    const { ms } = await installTarball(app, tarball);
    const added = treeBytes(join(app, 'node_modules')) - bytesBefore;
    const packages = listPackages(join(app, 'node_modules')).length - packagesBefore;
    results.push({ ms, added, packages });
    console.log(`  run ${i + 1}: ${(ms / 1000).toFixed(2)} s, +${(added / 1e6).toFixed(2)} MB, +${packages} packages`);
    rmSync(app, { recursive: true, force: true });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `median: ${(median(results.map((r) => r.ms)) / 1000).toFixed(2)} s, +${(median(results.map((r) => r.added)) / 1e6).toFixed(2)} MB` +
      ` (range ${(Math.min(...results.map((r) => r.ms)) / 1000).toFixed(2)}-${(Math.max(...results.map((r) => r.ms)) / 1000).toFixed(2)} s)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The tarball repacked with v8-profiler-next among its optionalDependencies, as before it became an optional peer. */
async function withOptionalV8ProfilerNext(tarball) {
  const dir = join(work, 'repack');
  mkdirSync(dir);
  await run('tar', ['-xzf', tarball, '-C', dir]);
  const file = join(dir, 'package', 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['v8-profiler-next'];
  delete manifest.peerDependencies['v8-profiler-next'];
  delete manifest.peerDependenciesMeta['v8-profiler-next'];
  manifest.optionalDependencies = { 'v8-profiler-next': version };
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  const out = join(work, 'before');
  mkdirSync(out);
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: join(dir, 'package') });
  return join(out, JSON.parse(packed.stdout)[0].filename);
}
