// `npm test` runs this first, so the README's two commands hold on a fresh machine: it installs what
// the tests need beyond `npm ci`, and only what is missing.
// - Node 22, 24 and 26 (npm packages, in test/node-versions so their `node` bins do not shadow ours);
// - Debian's Chromium for the viewer's browser tests (playwright-core drives /usr/bin/chromium; no
//   browser download works here). Needs root and apt-get; elsewhere it says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...options });

const versions = join(root, 'test', 'node-versions');
if (!['node22', 'node24', 'node26'].every((v) => existsSync(join(versions, 'node_modules', v, 'bin', 'node')))) {
  console.log('prepare: installing Node 22, 24 and 26 for the version tests (test/node-versions)');
  run('npm', ['ci', '--no-audit', '--no-fund', '--prefix', versions]);
}

if (!existsSync('/usr/bin/chromium')) {
  const root = process.getuid?.() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    console.log('prepare: installing Debian chromium for the viewer tests');
    const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    run('apt-get', ['update', '-qq'], quiet);
    run('apt-get', ['install', '-y', '-qq', 'chromium'], quiet);
  } else {
    console.log('prepare: /usr/bin/chromium is missing; the viewer tests need it (apt-get install chromium)');
  }
}
