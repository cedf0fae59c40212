// Kept recordings and their ground truth, for changes to the analysis (a script, not a test). A change to
// how the report shares the heap out is judged on many programs and Node versions at once: record them
// once, then rebuild every report from dist (as a run builds it: src/profile/run-profile.ts,
// rebuildReport) before and after the change, and compare each top-level dependency with its truth.
//   node test/bench/kept-recordings.mjs record [--dir <dir>] [--versions 20,22,24,26] [--runs 2]
//   node test/bench/kept-recordings.mjs evaluate [--dir <dir>] [--only <regexp>] [--all] [--dist <dir>]
// `record` profiles each app with `--until exit` and IMPORTCOST_KEEP_RECORDING, `--runs` times, and runs
// the ground truth 3 times (test/helpers/ground-truth.*, warm for ES modules); what is there already is
// kept. Every run's standard input is /dev/null, the truth's as the program's: an ES import of node:process
// builds its facade, which reads process.stdin, and what that loads depends on it (0.65-0.76 MB from
// /dev/null or a file, 0.51-0.54 MB from a pipe, Node 22-26). `evaluate` prints each reading against the
// median truth and sums them up: the mean absolute error, readings over 15%, and misses of max(0.4 MB,
// 15%). Build first (`npm run build`; `--dist <dir>` reads another build, with package.json beside it).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'real-deps');
const benchApps = join(here, 'apps');
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const dir = option('--dir', join(tmpdir(), 'importcost-kept'));
const TRUTH_RUNS = 3;
const tolerance = (truth) => Math.max(400_000, 0.15 * truth);

/** The apps: their folder, entry and top-level dependencies in source order (as the tests give them). */
const APPS = [
  [fixtures, 'app.mjs', 'esm:got esm:execa'],
  [fixtures, 'app-zod.mjs', 'esm:got esm:zod'],
  [fixtures, 'app.mts', 'esm:express esm:got'],
  [fixtures, 'app-cjs-source.mts', 'esm:lodash esm:execa'],
  [fixtures, 'app-sdk.mts', 'esm:@aws-sdk/client-s3 esm:got'],
  [fixtures, 'app-vite.mts', 'esm:vite esm:zod'],
  [fixtures, 'app-ts.mts', 'esm:typescript esm:zod'],
  [fixtures, 'app-pino.mts', 'esm:pino esm:got'],
  [fixtures, 'app.cjs', 'cjs:express cjs:lodash cjs:fastify cjs:@aws-sdk/client-s3'],
  [benchApps, 'esm.mjs', 'esm:unified esm:remark-parse esm:remark-stringify esm:remark-gfm esm:got esm:execa esm:zod esm:yaml esm:chalk'],
].map(([folder, entry, specs]) => ({ folder, entry, specs: specs.split(' ') }));

const nodeFor = (v) => (v === '20' ? process.execPath : join(root, 'test', 'node-versions', 'node_modules', `node${v}`, 'bin', 'node'));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (argv[0] === 'record') record();
else if (argv[0] === 'evaluate') await evaluate();
else {
  console.error('usage: node test/bench/kept-recordings.mjs record|evaluate [--dir <dir>] (see the top of the file)');
  process.exit(2);
}

function record() {
  mkdirSync(dir, { recursive: true });
  const runs = Number(option('--runs', '2'));
  // The bench apps resolve their packages from their own folder: the truth runs beside them (as run.js does).
  for (const file of ['ground-truth.cjs', 'ground-truth.mjs']) copyFileSync(join(root, 'test', 'helpers', file), join(benchApps, file));
  for (const v of option('--versions', '20,22,24,26').split(',')) {
    const node = nodeFor(v);
    if (!existsSync(node)) {
      console.error(`no Node ${v} at ${node} (npm ci --prefix test/node-versions)`);
      continue;
    }
    // Node 20 strips no types.
    for (const app of APPS.filter((a) => v !== '20' || !a.entry.endsWith('.mts'))) {
      const base = join(dir, `${v}-${app.entry}`);
      for (let r = 1; r <= runs; r++) {
        if (existsSync(`${base}.rec${r}.json`)) continue;
        const out = join(dir, 'out');
        const run = spawnSync(process.execPath, [join(root, 'bin', 'importcost.js'), 'profile', '-q', '--node', node, '--until', 'exit', '-o', out, join(app.folder, app.entry)], {
          env: { ...process.env, IMPORTCOST_KEEP_RECORDING: `${base}.rec${r}.json` },
          stdio: ['ignore', 'ignore', 'inherit'],
          timeout: 120_000,
        });
        if (run.status !== 0) console.error(`Node ${v} ${app.entry}: importcost exited with ${run.status}`);
      }
      if (existsSync(`${base}.truth.json`)) continue;
      const script = join(app.folder === benchApps ? benchApps : join(root, 'test', 'helpers'), app.specs[0].startsWith('esm:') ? 'ground-truth.mjs' : 'ground-truth.cjs');
      const truths = [];
      for (let r = 0; r < TRUTH_RUNS; r++) {
        const run = spawnSync(node, ['--expose-gc', '--no-flush-bytecode', script, app.folder, ...app.specs], { cwd: app.folder, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
        if (run.status !== 0) throw new Error(`ground truth of ${app.entry} on Node ${v} failed:\n${run.stderr}`);
        truths.push(JSON.parse(run.stdout));
      }
      writeFileSync(`${base}.truth.json.tmp`, JSON.stringify(truths));
      renameSync(`${base}.truth.json.tmp`, `${base}.truth.json`);
      console.error(`Node ${v} ${app.entry}: recorded`);
    }
  }
}

async function evaluate() {
  const { rebuildReport } = await import(join(resolve(option('--dist', join(root, 'dist'))), 'profile', 'run-profile.js'));
  const only = new RegExp(option('--only', '.'));
  const rows = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.truth.json')).sort()) {
    const base = file.slice(0, -'.truth.json'.length);
    if (!only.test(base)) continue;
    const truths = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const rec of readdirSync(dir).filter((f) => f.startsWith(`${base}.rec`) && f.endsWith('.json')).sort()) {
      const report = await rebuildReport(JSON.parse(readFileSync(join(dir, rec), 'utf8')));
      for (const spec of Object.keys(truths[0])) {
        const name = spec.slice(4);
        const m = report.modules.find((x) => x.parent === 0 && x.package?.name === name && x.thirdParty);
        const truth = median(truths.map((t) => t[spec]));
        const bytes = m ? m.totalBytes : 0;
        rows.push({ rec: rec.slice(0, -5), name, truth, bytes, cjs: spec.startsWith('cjs:'), error: (bytes - truth) / truth, miss: Math.abs(bytes - truth) > tolerance(truth) });
      }
    }
  }
  const mb = (bytes) => (bytes / 1e6).toFixed(2).padStart(6);
  if (argv.includes('--all')) for (const r of rows) console.log(`${r.rec.padEnd(30)} ${r.name.padEnd(20)} ${mb(r.bytes)} MB vs ${mb(r.truth)} ${(100 * r.error).toFixed(1).padStart(6)}%${r.miss ? '  MISS' : ''}`);
  for (const [label, some] of [['ES module programs', rows.filter((r) => !r.cjs)], ['CommonJS programs', rows.filter((r) => r.cjs)]]) {
    if (some.length === 0) continue;
    const mean = some.reduce((sum, r) => sum + Math.abs(r.error), 0) / some.length;
    console.log(`${label}: ${some.length} readings, mean absolute error ${(100 * mean).toFixed(2)}%, over 15%: ${some.filter((r) => Math.abs(r.error) > 0.15).length}, misses: ${some.filter((r) => r.miss).length}`);
    for (const r of some.filter((x) => x.miss)) console.log(`  miss: ${r.rec} ${r.name} ${mb(r.bytes)} MB vs ${mb(r.truth)} (${(100 * r.error).toFixed(1)}%)`);
  }
}
