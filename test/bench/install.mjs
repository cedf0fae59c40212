// Install time and size of importcost as npm users get it (BENCHMARKS.md, "Installing from npm"): pack
// the repo once (its prepack builds dist/), then in each round, for each variant, a fresh app with its
// own dependency installed and the tarball installed into it with `npm install --save-dev`, timed, and
// the bytes it added to node_modules. The variants take turns (the order rotates each round), so that
// each round's figures come from neighbouring runs on this shared machine:
//   offline  `--prefer-offline`: what npm's cache holds is taken as it is
//   online   without it: npm asks the registry whether each package it has cached is current
//   floor    an empty package, `--prefer-offline`: what any install costs in npm itself
// Prints each run, then the medians and the median of each round's difference to the floor.
//
//   node test/bench/install.mjs [rounds=5] [--optional-v8-profiler-next]
//
// --optional-v8-profiler-next measures the package as it was before (offline only): the same tarball
// with v8-profiler-next back among its optionalDependencies (npm then builds it with node-gyp).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_DEPENDENCY, installTarball, listPackages, makeApp, packTarball, run, treeBytes } from '../helpers/packaging.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
const before = process.argv.includes('--optional-v8-profiler-next');
const work = mkdtempSync(join(tmpdir(), 'importcost-install-bench-'));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

try {
  let { tarball } = await packTarball(root, work);
  if (before) tarball = await withOptionalV8ProfilerNext(tarball);
  const variants = before
    ? [{ name: 'offline', tarball, preferOffline: true }]
    : [
        { name: 'offline', tarball, preferOffline: true },
        { name: 'online', tarball, preferOffline: false },
        { name: 'floor', tarball: await emptyPackage(), preferOffline: true },
      ];
  console.log(`${rounds} rounds: ${tarball}${before ? ' (v8-profiler-next optional)' : ''} into an app with ${APP_DEPENDENCY}; load ${loadavg()[0].toFixed(1)}`);
  const results = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(round + k) % variants.length];
      const app = join(work, `app-${round}-${variant.name}`);
      mkdirSync(app);
      await makeApp(app);
      const bytesBefore = treeBytes(join(app, 'node_modules'));
      const packagesBefore = listPackages(join(app, 'node_modules')).length;
      const { ms } = await installTarball(app, variant.tarball, { preferOffline: variant.preferOffline });
      const added = treeBytes(join(app, 'node_modules')) - bytesBefore;
      const packages = listPackages(join(app, 'node_modules')).length - packagesBefore;
      results[variant.name][round] = { ms, added, packages };
      console.log(`  round ${round + 1} ${variant.name.padEnd(7)} ${seconds(ms)}, +${(added / 1e6).toFixed(2)} MB, +${packages} packages`);
      rmSync(app, { recursive: true, force: true });
    }
  }
  for (const [name, runs] of Object.entries(results)) {
    const ms = runs.map((r) => r.ms);
    const overFloor = results.floor && name !== 'floor' ? `; over the floor ${seconds(median(runs.map((r, i) => r.ms - results.floor[i].ms)))}` : '';
    console.log(`${name}: median ${seconds(median(ms))} (${seconds(Math.min(...ms))}-${seconds(Math.max(...ms))}), +${(median(runs.map((r) => r.added)) / 1e6).toFixed(2)} MB${overFloor}`);
  }
  console.log(`load at the end ${loadavg()[0].toFixed(1)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** A package of one file and no dependencies, packed: the floor of what an install costs. */
async function emptyPackage() {
  const dir = join(work, 'empty');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'empty-package', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), 'module.exports = {};\n');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: dir });
  return join(work, JSON.parse(packed.stdout)[0].filename);
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
