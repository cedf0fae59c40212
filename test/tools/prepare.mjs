// `npm test` runs this first, so the README's two commands hold on a fresh machine: it installs what
// the tests need beyond `npm ci`, and only what is missing.
// - Node 22, 24 and 26 (npm packages, in test/node-versions so their `node` bins do not shadow ours);
// - Debian's Chromium for the viewer's browser tests (playwright-core drives /usr/bin/chromium; no
//   browser download works here), and tmux for the terminal tests. Needs root and apt-get; elsewhere
//   it says what to install.
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

// Debian packages the tests drive: Chromium for the viewer's browser tests, tmux for the terminal tests.
const missing = [
  ['/usr/bin/chromium', 'chromium', 'the viewer tests'],
  ['/usr/bin/tmux', 'tmux', 'the terminal tests'],
].filter(([binary]) => !existsSync(binary));
if (missing.length > 0) {
  const names = missing.map(([, name]) => name);
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log(`prepare: installing Debian ${names.join(' and ')} for ${missing.map(([, , why]) => why).join(' and ')}`);
    const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    run('apt-get', ['update', '-qq'], quiet);
    run('apt-get', ['install', '-y', '-qq', ...names], quiet);
  } else {
    for (const [binary, name, why] of missing) console.log(`prepare: ${binary} is missing; ${why} need it (apt-get install ${name})`);
  }
}
