// importcost as npm users get it: pack the repo, make a small app, install the tarball into it with
// npm, and look at what that put in node_modules. For test/packaging.test.ts and the install figures in
// BENCHMARKS.md (test/bench/install.mjs). Plain ESM, so the bench script runs it with node alone.
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The app's own dependency: pinned, and one of the repo's devDependencies, so npm's cache has it. */
export const APP_DEPENDENCY = 'lodash@4.18.1';
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

/**
 * The environment for npm and npx: ours without npm's own `npm_*` variables, which `npm test` sets for
 * the repo (its prefix, its config) and which would otherwise steer an install meant for another folder.
 */
export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_')));
  return { ...env, ...extra };
}

/**
 * Run a command to its end (async: a test worker that blocks misses its runner's calls), killed after
 * `timeout` ms. Resolves to its exit code, output and wall time (ms).
 */
export function run(command, args, { cwd, env = cleanEnv(), timeout = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - start) / 1e6 });
    });
  });
}

async function succeed(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.signal ?? result.code}):\n${result.stderr}`);
  return result;
}

/**
 * `npm pack` in the repo (its prepack builds dist/) into `dest`. Resolves to the tarball's path and the
 * paths of the files in it.
 */
export async function packTarball(root, dest) {
  const { stdout } = await succeed('npm', ['pack', '--json', '--pack-destination', dest], { cwd: root, timeout: 180_000 });
  const [info] = JSON.parse(stdout);
  return { tarball: join(dest, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** A small ESM app in `dir` that imports its one dependency, installed. */
export async function makeApp(dir) {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, 'app.js'), "import _ from 'lodash';\n\nconsole.log('chunks', _.chunk([1, 2, 3, 4], 2).length);\n");
  await succeed('npm', ['install', ...NPM_FLAGS, APP_DEPENDENCY], { cwd: dir, timeout: 120_000 });
}

/**
 * `npm install --save-dev <tarball>` in `dir`, timed (ms); npm's output is kept to look for build steps.
 * `preferOffline: false` lets npm ask the registry whether what its cache holds is current, as a plain
 * `npm install` does.
 */
export async function installTarball(dir, tarball, { preferOffline = true } = {}) {
  const flags = preferOffline ? NPM_FLAGS : NPM_FLAGS.filter((flag) => flag !== '--prefer-offline');
  const { ms, stdout, stderr } = await succeed('npm', ['install', '--save-dev', ...flags, '--foreground-scripts', tarball], { cwd: dir, timeout: 120_000 });
  return { ms, output: `${stdout}${stderr}` };
}

/** Bytes of every file under `dir` (their sizes, not disk blocks; links not followed). */
export function treeBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** The packages in a node_modules folder (scoped ones as `@scope/name`), with their package.json. */
export function listPackages(nodeModules) {
  const packages = [];
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        visit(path);
        continue;
      }
      const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
      packages.push({ path, manifest });
      if (readdirSync(path).includes('node_modules')) visit(join(path, 'node_modules'));
    }
  };
  visit(nodeModules);
  return packages;
}

/**
 * What could have built native code during an install: a package with an install script, or with a
 * binding.gyp (npm runs `node-gyp rebuild` for those by itself), and what a build leaves behind (a
 * build/ folder with a Makefile or config.gypi, a .node file). Empty when nothing could have.
 */
export function nativeBuildTraces(nodeModules) {
  const traces = [];
  for (const { path, manifest } of listPackages(nodeModules)) {
    const scripts = manifest.scripts ?? {};
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      if (scripts[hook]) traces.push(`${manifest.name}: ${hook} script "${scripts[hook]}"`);
    }
    if (manifest.gypfile || readdirSync(path).includes('binding.gyp')) traces.push(`${manifest.name}: binding.gyp`);
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'build' && readdirSync(path).some((name) => name === 'Makefile' || name === 'config.gypi')) traces.push(`${path}: a node-gyp build folder`);
        walk(path);
      } else if (entry.name.endsWith('.node')) {
        traces.push(`${path}: a native addon`);
      }
    }
  };
  walk(nodeModules);
  return traces;
}
