// `npm pack` and `npm publish` run this first (package.json "prepack"): the package ships dist/, built
// fresh from src/, so that no file of a deleted source ships with it. On a clean clone, where `npm ci`
// has not run, it installs the build's tools first, without install scripts: packing needs no native
// build (v8-profiler-next, a devDependency, is only for the repo's own tests of that backend).
// Everything it prints goes to stderr: `npm pack --json` keeps stdout for its JSON.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stdio = ['ignore', 2, 2];
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  process.stderr.write('prepack: no node_modules here; installing the build tools first (npm ci --ignore-scripts)\n');
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio });
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio });
