// The benchmark behind BENCHMARKS.md (issue 5): overhead and accuracy of `importcost profile` against
// plain node and the alternatives, measured in one run, and the numbers the default interval is chosen from.
//
//   npm run bench                      build, then the full run (about 11 minutes on 2 cores)
//   npm run bench -- --quick           3 pairs, 3 intervals: a smoke run of the whole pipeline (about 3 minutes)
//   options: --pairs <n>  --apps server,startup,esm,synthetic  --out <file> (default BENCHMARKS.md)
//   --versions 22,24,26: also run the 2,000+ and ESM apps on these Node versions (test/node-versions; the
//             default, none with --quick), with importcost at the default interval and `node --heap-prof`
//             at the same interval only; `--versions none` skips them
//   --render: re-write the document from the last run's raw numbers (test/artifacts/bench-results.json),
//             e.g. after editing test/bench/NOTES.md, whose text ends the document
//
// Method: for every app and every variant, pairs of runs (plain node, then the variant; the next round
// the other way round), after one warm-up round that is not counted. Each run is a whole process under
// /usr/bin/time: wall time (measured here around the spawn), CPU time (user + system of the process and
// its children), peak RSS (the largest single process of the tree, which is what getrusage reports).
// Ratios are taken within a pair, then the median over pairs: the 2 cores are shared, so only ratios of
// neighbouring runs are quoted. Accuracy comes from the reports of the same timed runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateSynthetic } from './synthetic.js';
import { DEFAULTS } from '../../dist/profile/defaults.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const appsDir = join(here, 'apps');
const cli = join(root, 'bin', 'importcost.js');
/**
 * The tests' ground-truth scripts (CommonJS, and the same from an ES module for ES module programs);
 * copied beside each app so its imports resolve as the app's do.
 */
const GROUND_TRUTH = ['ground-truth.cjs', 'ground-truth.mjs'];
const copyGroundTruth = (dir) => {
  for (const file of GROUND_TRUTH) copyFileSync(join(root, 'test', 'helpers', file), join(dir, file));
};

// ---- options -------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const quick = flag('--quick');
const pairs = Number(option('--pairs', quick ? 3 : 5));
const appFilter = option('--apps', 'server,startup,esm,synthetic').split(',');
const outFile = resolve(root, option('--out', 'BENCHMARKS.md'));
const DEFAULT_INTERVAL = DEFAULTS.sampleInterval;
/** Intervals considered besides the default: odd, near powers of two (see DEFAULTS.sampleInterval). */
const INTERVALS = (quick ? [8209, 65537] : [8209, 32771, 65537, 131101]).filter((x) => x !== DEFAULT_INTERVAL);
const GROUND_TRUTH_RUNS = 3;
const TOLERANCE = (truth) => Math.max(400_000, 0.15 * truth);
/** Other Node versions' binaries (test/node-versions, npm ci there) and the apps run on them. */
const VERSIONS = option('--versions', quick ? 'none' : '22,24,26').split(',').filter((v) => v !== 'none' && v !== '');
const versionNode = (v) => join(root, 'test', 'node-versions', 'node_modules', `node${v}`, 'bin', 'node');
const VERSION_APPS = ['startup', 'esm'];
const log = (message) => process.stderr.write(`bench: ${message}\n`);

// ---- the apps ------------------------------------------------------------------------------
/** Each app: its entry, the folder its dependencies resolve from, and its top-level deps in load order. */
function apps(synthDir, node = process.execPath) {
  const list = [
    {
      key: 'server',
      title: 'express server (~300 modules), until listening',
      dir: appsDir,
      entry: 'server.cjs',
      specs: ['express', 'cors', 'helmet', 'morgan', 'compression', 'cookie-parser', 'pino', 'dotenv', 'jsonwebtoken', 'uuid', 'ajv'].map((n) => `cjs:${n}`),
    },
    {
      key: 'startup',
      title: 'heavy start-up (2,000+ modules)',
      dir: appsDir,
      entry: 'startup.cjs',
      specs: ['jsdom', '@babel/core', 'sequelize', '@aws-sdk/client-s3', 'mongoose', 'eslint', 'rxjs', 'typescript'].map((n) => `cjs:${n}`),
    },
    {
      key: 'esm',
      title: 'ESM-only tree',
      dir: appsDir,
      entry: 'esm.mjs',
      specs: ['unified', 'remark-parse', 'remark-stringify', 'remark-gfm', 'got', 'execa', 'zod', 'yaml', 'chalk'].map((n) => `esm:${n}`),
    },
  ];
  if (synthDir) {
    const synth = generateSynthetic(synthDir);
    copyGroundTruth(synthDir);
    list.push({
      key: 'synthetic',
      title: `synthetic tree (${synth.modules.toLocaleString('en')} modules)`,
      dir: synthDir,
      entry: basename(synth.entry),
      specs: synth.names.map((n) => `cjs:${n}`),
    });
  }
  return list.filter((app) => appFilter.includes(app.key)).map((app) => ({ ...app, node }));
}

/** The ways of running an app that are compared with plain node. */
function variants(app) {
  const other = app.node !== process.execPath;
  const ic = (interval) => ({
    key: interval === null ? 'importcost' : `importcost@${interval}`,
    interval: interval ?? DEFAULT_INTERVAL,
    importcost: true,
    command: (app, work, n) => [
      process.execPath, cli, 'profile', '--until', 'exit', '-q', '-o', work, '--name', `${app.key}-${n}`,
      ...(interval === null ? [] : ['--sample-interval', String(interval)]), ...(other ? ['--node', app.node] : []), app.entry,
    ],
  });
  const agentAlone = (key, interval) => ({
    key,
    command: (app) => [app.node, '--require', join(root, 'dist', 'agent', 'preload.cjs'), app.entry],
    env: (work, n) => {
      // The configuration run-profile.ts hands the agent; no CLI reads the folder it writes into.
      const dir = join(work, `agent-${n}`);
      mkdirSync(dir, { recursive: true });
      return {
        IMPORTCOST_AGENT: JSON.stringify({
          dir, cliPid: process.pid, sampleInterval: interval, deterministic: DEFAULTS.sampling === 'deterministic',
          stackDepth: DEFAULTS.stackDepth, sampler: 'inspector', v8ProfilerDir: null, until: 'exit',
          settleMs: DEFAULTS.settleMs, idleMs: DEFAULTS.idleMs, timeoutMs: DEFAULTS.timeoutMs,
        }),
      };
    },
  });
  // V8's own sampler at importcost's interval and mode, as Node's --heap-prof runs it: the floor the
  // overhead target is set against (issue 12).
  const heapProf = {
    key: 'node --heap-prof',
    command: (app, work) => [
      app.node, '--heap-prof', '--heap-prof-dir', work, `--heap-prof-interval=${DEFAULT_INTERVAL}`,
      ...(DEFAULTS.sampling === 'deterministic' ? ['--sampling-heap-profiler-suppress-randomness'] : []), app.entry,
    ],
  };
  if (other) return [ic(null), heapProf];
  return [
    ic(null),
    ...INTERVALS.map(ic),
    heapProf,
    // Where importcost's overhead goes: the agent alone in the target (no CLI process, no analysis), with
    // sampling off (an interval of 1 GiB: hooks, trampolines, the end-of-run GC and read-out) and on.
    agentAlone('agent alone, sampling off', 2 ** 30),
    agentAlone('agent alone, default interval', DEFAULT_INTERVAL),
    {
      key: 'cpu-prof+heap-prof',
      command: (app, work) => [process.execPath, '--cpu-prof', '--cpu-prof-dir', work, '--heap-prof', '--heap-prof-dir', work, app.entry],
    },
    {
      key: 'require-so-slow',
      command: (app, work, n) => [process.execPath, '-r', join(appsDir, 'node_modules', 'require-so-slow'), app.entry],
      env: (work, n) => ({ TRACE_OUTFILE: join(work, `rss-${n}.trace`) }),
    },
  ];
}

// ---- running -------------------------------------------------------------------------------
let runCounter = 0;

/** One whole process under /usr/bin/time. */
function measure(command, { cwd, env = {} }) {
  const timeFile = join(tmpdir(), `importcost-bench-time-${process.pid}`);
  const t = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, ...command], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - t;
  if (run.status !== 0) throw new Error(`${command.join(' ')} exited ${run.status}:\n${run.stderr}`);
  const [user, sys, maxKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  return { wallMs, cpuMs: (user + sys) * 1000, rssBytes: maxKb * 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median of `runs` fresh ground-truth processes: { spec: value }. */
function groundTruth(app, mode) {
  const flags = mode === 'bytes' ? ['--expose-gc', '--no-flush-bytecode'] : [];
  const runs = [];
  for (let i = 0; i < GROUND_TRUTH_RUNS; i++) {
    const script = app.specs.some((spec) => spec.startsWith('esm:')) ? 'ground-truth.mjs' : 'ground-truth.cjs';
    const args = [...flags, script, ...(mode === 'time' ? ['--time'] : []), app.dir, ...app.specs];
    const run = spawnSync(app.node, args, { cwd: app.dir, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`ground truth for ${app.key} failed:\n${run.stderr}`);
    runs.push(JSON.parse(run.stdout));
  }
  return Object.fromEntries(app.specs.map((spec) => [spec, median(runs.map((r) => r[spec]))]));
}

/** What the accuracy tables need from one report. */
function readAccuracy(reportPath, app) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const entry = report.modules.find((m) => m.parent === null);
  const top = new Map();
  for (const m of report.modules) {
    if (m.parent !== entry.id || !m.package) continue;
    if (!top.has(m.package.name)) top.set(m.package.name, m);
  }
  const bucket = (name) => report.buckets.find((b) => b.name === name)?.bytes ?? 0;
  // As in test/real-deps.test.ts: the program's heap that no module load explains, over the program's heap
  // (sampled + measured-unsampled bytes, less the agent's own bookkeeping).
  const program = report.sampling.sampledBytes + report.sampling.unsampledBytes - bucket('agent');
  const unattributed = bucket('after-startup') + bucket('runtime') + bucket('esm-loader');
  const deps = {};
  for (const spec of app.specs) {
    const m = top.get(spec.slice(4));
    deps[spec] = m ? { bytes: m.totalBytes, ms: m.totalMs } : null;
  }
  return { deps, unattributedShare: unattributed / program, modules: report.totals.modules, residual: bucket('sampling-residual') / program };
}

function benchApp(app, work) {
  const node = app.node === process.execPath ? process.version : spawnSync(app.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const results = { app: app.key, title: app.title, node, plain: [], variants: {}, accuracy: {} };
  log(`${app.key}: ground truth (${GROUND_TRUTH_RUNS} fresh processes for bytes, ${GROUND_TRUTH_RUNS} for time)`);
  results.truthBytes = groundTruth(app, 'bytes');
  results.truthMs = groundTruth(app, 'time');
  const list = variants(app);
  for (const v of list) {
    results.variants[v.key] = { pairs: [] };
    if (v.importcost) results.accuracy[v.key] = { interval: v.interval, runs: [] };
  }
  const plainCommand = [app.node, app.entry];
  for (let round = 0; round <= pairs; round++) {
    const warmUp = round === 0;
    log(`${app.key}: ${warmUp ? 'warm-up' : `round ${round}/${pairs}`}`);
    // Rotate the variants' order each round, and alternate which side of a pair runs first.
    const order = list.map((_, i) => list[(i + round) % list.length]);
    for (const v of order) {
      const n = runCounter++;
      const env = { ...(v.env ? v.env(work, n) : {}) };
      if (warmUp && v.key === 'importcost' && app.key === 'synthetic') env.IMPORTCOST_KEEP_RECORDING = join(work, 'synthetic.recording.json');
      const runVariant = () => measure(v.command(app, work, n), { cwd: app.dir, env });
      const runPlain = () => measure(plainCommand, { cwd: app.dir });
      let a;
      let b;
      if (round % 2 === 0) {
        a = runPlain();
        b = runVariant();
      } else {
        b = runVariant();
        a = runPlain();
      }
      if (v.importcost) {
        const reportPath = join(work, `${app.key}-${n}.importcost.json`);
        if (!warmUp) results.accuracy[v.key].runs.push(readAccuracy(reportPath, app));
        rmSync(reportPath, { force: true });
        rmSync(join(work, `${app.key}-${n}.speedscope.json`), { force: true });
      }
      if (warmUp) continue;
      results.plain.push(a);
      results.variants[v.key].pairs.push({ plain: a, variant: b });
    }
    // Profiler outputs of this round (cpu/heap profiles, traces) are not what is measured: drop them.
    for (const f of spawnSync('ls', [work], { encoding: 'utf8' }).stdout.split('\n')) {
      if (/\.(cpuprofile|heapprofile|trace|recording\.json)$/.test(f) && f !== 'synthetic.recording.json') rmSync(join(work, f), { force: true });
    }
  }
  return results;
}

function analysisCost(recording, work) {
  const runs = [];
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    const out = join(work, `analysis-${i}`);
    mkdirSync(out, { recursive: true });
    const run = spawnSync(process.execPath, [join(here, 'analyze.js'), recording, out], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`analysis failed:\n${run.stderr}`);
    runs.push(JSON.parse(run.stdout));
  }
  const pick = (f) => median(runs.map(f));
  const steps = Object.keys(runs[0].ms);
  return {
    runs: runs.length,
    ms: Object.fromEntries(steps.map((s) => [s, pick((r) => r.ms[s])])),
    peakRssBytes: pick((r) => r.peakRssBytes),
    rssBeforeBytes: pick((r) => r.rssBeforeBytes),
    peakHeapBytes: pick((r) => r.peakHeapBytes),
    bytes: runs[0].bytes,
    modules: runs[0].modules,
  };
}

// ---- the document --------------------------------------------------------------------------
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
const signedPct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
const ratio = (x) => `${x.toFixed(2)}x`;
const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function ratios(results, key) {
  const ps = results.variants[key].pairs;
  return {
    wall: median(ps.map((p) => p.variant.wallMs / p.plain.wallMs)),
    cpu: median(ps.map((p) => p.variant.cpuMs / p.plain.cpuMs)),
    rss: median(ps.map((p) => p.variant.rssBytes / p.plain.rssBytes)),
    wallMin: Math.min(...ps.map((p) => p.variant.wallMs / p.plain.wallMs)),
    wallMax: Math.max(...ps.map((p) => p.variant.wallMs / p.plain.wallMs)),
  };
}

/** Per dependency at one interval: errors over the runs. */
function depErrors(results, key) {
  const acc = results.accuracy[key];
  return Object.entries(results.truthBytes).map(([spec, truth]) => {
    const errs = acc.runs.map((r) => (r.deps[spec] ? r.deps[spec].bytes - truth : Number.NaN));
    const worst = errs.reduce((w, e) => (Number.isNaN(e) || Math.abs(e) > Math.abs(w) ? e : w), 0);
    return {
      spec,
      name: spec.slice(4),
      truth,
      medianBytes: median(acc.runs.map((r) => r.deps[spec]?.bytes ?? Number.NaN)),
      errors: errs,
      worst,
      within: errs.filter((e) => Math.abs(e) <= TOLERANCE(truth)).length,
      runs: errs.length,
    };
  });
}

/** Accuracy pooled over the real apps (or over the apps `keep` accepts). */
function intervalSummary(all, key, keep = (app) => app !== 'synthetic', keepDep = () => true) {
  let within = 0;
  let total = 0;
  let worstRel = 0;
  let worstName = '';
  let maxUnattributed = 0;
  const absRel = [];
  for (const results of all) {
    if (!results.accuracy[key] || !keep(results.app)) continue;
    for (const d of depErrors(results, key)) {
      if (!keepDep(results.app, d.spec)) continue;
      within += d.within;
      total += d.runs;
      for (const e of d.errors) {
        const rel = Math.abs(e) / d.truth;
        // Relative error only means something above the 0.4 MB floor of the tolerance.
        if (d.truth >= 400_000 / 0.15) absRel.push(rel);
        if (d.truth >= 400_000 / 0.15 && rel > worstRel) {
          worstRel = rel;
          worstName = `${d.name} (${results.app})`;
        }
      }
    }
    for (const r of results.accuracy[key].runs) maxUnattributed = Math.max(maxUnattributed, r.unattributedShare);
  }
  return { within, total, worstRel, worstName, medianAbsRel: median(absRel), maxUnattributed };
}

function writeDocument(all, analysis, meta, versions = []) {
  const { pairs, defaultInterval: DEFAULT_INTERVAL } = meta;
  const startup = all.find((r) => r.app === 'startup');
  const keys = Object.keys(all[0].variants);
  const icKeys = keys.filter((k) => k.startsWith('importcost@') || k === 'importcost').sort((a, b) => startupInterval(a) - startupInterval(b));
  function startupInterval(k) {
    return all[0].accuracy[k].interval;
  }
  const lines = [];
  lines.push('# Benchmarks');
  lines.push('');
  lines.push('Overhead and accuracy of `importcost profile`, measured in one run by `test/bench/run.js`. Written by the');
  lines.push('script, the closing notes taken from `test/bench/NOTES.md`: edit those, not this file.');
  lines.push('');
  lines.push(`- Command: \`${meta.command}\``);
  lines.push(`- Date: ${meta.date}; ${meta.minutes.toFixed(1)} minutes for the whole run`);
  lines.push(`- Machine: ${meta.cores} cores (${meta.cpu}), ${(meta.memory / 2 ** 30).toFixed(1)} GiB; Node ${meta.node}; importcost ${meta.importcost}`);
  lines.push(`- Load average (1 min) at start and end: ${meta.loadStart.toFixed(2)}, ${meta.loadEnd.toFixed(2)}. ${meta.shared}`);
  lines.push(`- ${pairs} pairs per variant after one warm-up round; default sampling interval ${DEFAULT_INTERVAL} bytes (\`DEFAULTS.sampleInterval\`).`);
  lines.push('');
  lines.push('How it measures: every run is a whole process (`/usr/bin/time`): wall time, CPU time (user + system, the');
  lines.push('process and its children), peak RSS (the largest single process of the tree: for importcost that is');
  lines.push('the target or the CLI, whichever is larger). Each variant runs next to a plain `node <entry>` run');
  lines.push('(A B, then B A the next round, the variants in a rotating order); a ratio is taken within each pair and');
  lines.push('the median over the pairs is quoted, with the range of the wall ratio. importcost runs with `--until exit`,');
  lines.push('`-q`, and includes its analysis (report + speedscope file written) after the target ends. The apps load');
  lines.push('their dependencies and exit by themselves (the server listens on port 0, then closes).');
  lines.push('');

  // Targets at a glance.
  const startupDefault = startup ? ratios(startup, 'importcost') : null;
  const def = intervalSummary(all, 'importcost');
  const synthMods = analysis ? analysis.modules : 0;
  lines.push('## The targets (issue 5), at the default settings');
  lines.push('');
  const check = (ok) => (ok ? 'met' : '**missed**');
  const targetRows = [];
  if (startupDefault) targetRows.push(['overhead on the 2,000+-module app', 'at most 1.5x plain node (wall, median of pairs)', ratio(startupDefault.wall), check(startupDefault.wall <= 1.5)]);
  if (startupDefault && startup.variants['node --heap-prof']) {
    const floor = ratios(startup, 'node --heap-prof').wall;
    targetRows.push(['the same, stretch (issue 12): V8\'s sampler plus the hooks', `at most 1.35x; \`node --heap-prof\` at ${DEFAULT_INTERVAL} B: ${ratio(floor)}`, `${ratio(startupDefault.wall)}, ${ratio(startupDefault.wall / floor)} of \`--heap-prof\``, check(startupDefault.wall <= 1.35)]);
  }
  targetRows.push(['every top-level dependency within max(0.4 MB, 15%) of the ground truth: real apps', 'all runs', `${def.within}/${def.total} dependency-runs`, check(def.within === def.total)]);
  if (all.some((r) => r.app === 'synthetic')) {
    const syn = intervalSummary(all, 'importcost', (app) => app === 'synthetic');
    targetRows.push(['the same, synthetic tree', 'all runs', `${syn.within}/${syn.total} package-runs`, check(syn.within === syn.total)]);
  }
  targetRows.push(['unattributed share', 'at most 5%', `${(100 * def.maxUnattributed).toFixed(2)}% (worst run, real apps)`, check(def.maxUnattributed <= 0.05)]);
  if (analysis) {
    targetRows.push([`analysis of the ${synthMods.toLocaleString('en')}-module recording`, 'under 2 s', `${(analysis.ms.total / 1000).toFixed(2)} s (median of ${analysis.runs})`, check(analysis.ms.total < 2000)]);
    targetRows.push(['peak memory of that analysis', 'under 300 MB', `${mb(analysis.peakRssBytes)} RSS (whole process)`, check(analysis.peakRssBytes < 300e6)]);
    targetRows.push(['speedscope file', 'under 5 MB', mb(analysis.bytes.speedscope), check(analysis.bytes.speedscope < 5e6)]);
  }
  lines.push(table(['target', 'limit', 'measured', ''], targetRows));
  lines.push('');

  // Accuracy vs overhead.
  lines.push('## Accuracy against overhead, by sampling interval: the choice of the default');
  lines.push('');
  lines.push('Overhead columns: median wall ratio to plain node (range over pairs) and CPU ratio. Accuracy columns pool');
  lines.push('every top-level dependency of every real app (server, 2,000+, ESM) over every run: how many dependency-runs are within');
  lines.push('max(0.4 MB, 15%) of the ground truth, the median and worst relative error of the dependencies large');
  lines.push('enough (>= 2.67 MB) for 15% to be the binding limit, and the worst unattributed share of any run.');
  lines.push('');
  const head = ['interval (bytes)'];
  if (startup) head.push('2,000+ app wall', '2,000+ app CPU');
  const synth = all.find((r) => r.app === 'synthetic');
  if (synth) head.push('10k synthetic wall');
  const biased = biasedDeps(all);
  head.push('within tolerance', 'within, less deps that miss at every interval', 'median abs error', 'worst error', 'unattributed (worst)');
  if (synth) head.push('synthetic: within tolerance');
  const accRows = icKeys.map((k) => {
    const s = intervalSummary(all, k);
    const row = [`${all[0].accuracy[k].interval}${k === 'importcost' ? ' (default)' : ''}`];
    if (startup) {
      const r = ratios(startup, k);
      row.push(`${ratio(r.wall)} (${r.wallMin.toFixed(2)}-${r.wallMax.toFixed(2)})`, ratio(r.cpu));
    }
    if (synth) row.push(ratio(ratios(synth, k).wall));
    const sb = intervalSummary(all, k, undefined, (app, spec) => !biased.has(`${app}:${spec}`));
    row.push(`${s.within}/${s.total}`, `${sb.within}/${sb.total}`, `${(100 * s.medianAbsRel).toFixed(1)}%`, `${(100 * s.worstRel).toFixed(1)}% ${s.worstName}`, `${(100 * s.maxUnattributed).toFixed(2)}%`);
    if (synth) {
      const y = intervalSummary(all, k, (app) => app === 'synthetic');
      row.push(`${y.within}/${y.total}`);
    }
    return row;
  });
  lines.push(table(head, accRows));
  lines.push('');
  lines.push(meta.choice);
  lines.push('');

  // Where the overhead goes.
  if (keys.includes('agent alone, sampling off')) {
    lines.push('## Where importcost\'s overhead goes');
    lines.push('');
    lines.push('Differences of median wall ratios to plain node, from the rows of the next section: the agent alone in');
    lines.push('the target with sampling off (load hooks, trampolines, code-space reads, the end-of-run GCs and');
    lines.push('read-out, the recording written), then what heap sampling at the default interval adds, then what the');
    lines.push('CLI adds around it (its own start, waiting on the target, building the report, writing both files).');
    lines.push('');
    const rows = all.map((results) => {
      const off = ratios(results, 'agent alone, sampling off').wall;
      const on = ratios(results, 'agent alone, default interval').wall;
      const full = ratios(results, 'importcost').wall;
      const plus = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
      return [results.title, plus(off - 1), plus(on - off), plus(full - on), ratio(full)];
    });
    lines.push(table(['app', 'agent, sampling off', '+ sampling at the default', '+ CLI and analysis', 'importcost total'], rows));
    lines.push('');
  }

  // Overhead per app.
  lines.push('## Overhead per app and tool');
  lines.push('');
  lines.push('Median of paired ratios to plain `node <entry>` (wall range in brackets). The plain-node row gives the');
  lines.push('median of its own runs, for scale.');
  lines.push('');
  for (const results of all) {
    lines.push(`### ${results.title}`);
    lines.push('');
    const rows = [['plain node', `${median(results.plain.map((p) => p.wallMs)).toFixed(0)} ms (median)`, `${median(results.plain.map((p) => p.cpuMs)).toFixed(0)} ms (median)`, `${mb(median(results.plain.map((p) => p.rssBytes)))} (median)`]];
    for (const k of keys) {
      const r = ratios(results, k);
      const label = k === 'importcost' ? `importcost (default, ${DEFAULT_INTERVAL})` : k;
      rows.push([label, `${ratio(r.wall)} (${r.wallMin.toFixed(2)}-${r.wallMax.toFixed(2)})`, ratio(r.cpu), ratio(r.rss)]);
    }
    const acc = results.accuracy.importcost.runs[0];
    lines.push(`${acc.modules.toLocaleString('en')} modules (builtins included) in importcost's report.`);
    lines.push('');
    lines.push(table(['run', 'wall', 'CPU', 'peak RSS'], rows));
    lines.push('');
  }
  if (all.some((r) => r.app === 'esm')) {
    lines.push('require-so-slow hooks `require` only: on the ESM-only tree it runs but records only the few CommonJS');
    lines.push('loads, so its ratio there is not a like-for-like comparison.');
    lines.push('');
  }

  if (versions.length > 0) {
    lines.push(`## Node ${[...new Set(versions.map((r) => r.node.replace(/^v(\d+).*$/, '$1')))].join(', ')}`);
    lines.push('');
    lines.push('The 2,000+ and ESM apps on other Node versions (`test/node-versions`), the CLI on the machine\'s Node: each');
    lines.push(`against its own plain node and its own ground truth (the ESM one warmed first), ${pairs} pairs, importcost at the default`);
    lines.push(`interval and \`node --heap-prof --heap-prof-interval=${DEFAULT_INTERVAL}\` in the same sampling mode.`);
    lines.push('');
    const rows = versions.map((results) => {
      const ic = ratios(results, 'importcost');
      const hp = ratios(results, 'node --heap-prof');
      const s = intervalSummary([results], 'importcost', () => true);
      const misses = depErrors(results, 'importcost').filter((d) => d.within < d.runs).map((d) => `${d.name} ${d.errors.map((e) => signedPct(e / d.truth)).join(', ')}`);
      return [
        results.node, results.title, `${ratio(ic.wall)} (${ic.wallMin.toFixed(2)}-${ic.wallMax.toFixed(2)})`, ratio(hp.wall), ratio(ic.wall / hp.wall),
        `${s.within}/${s.total}`, `${(100 * s.medianAbsRel).toFixed(1)}%`, misses.length ? misses.join('; ') : 'none',
      ];
    });
    lines.push(table(['node', 'app', 'importcost wall', '`node --heap-prof` wall', 'importcost / --heap-prof', 'within tolerance', 'median abs error', 'outside (errors per run)'], rows));
    lines.push('');
  }

  // Accuracy per dependency at the default.
  lines.push(`## Accuracy per top-level dependency, default interval (${DEFAULT_INTERVAL})`);
  lines.push('');
  lines.push(`Ground truth: median of ${GROUND_TRUTH_RUNS} fresh \`node --expose-gc --no-flush-bytecode\` processes loading the app's`);
  lines.push('top-level dependencies in the same order (`test/helpers/ground-truth.cjs`, `.mjs` for ES modules): `gc()` twice, `heapUsed`, load,');
  lines.push('`gc()` twice. importcost: the inclusive bytes of the entry\'s child module of that package, median over the');
  lines.push(`${pairs} timed runs, and the worst error of any run. Load time: importcost's inclusive ms (median) against the`);
  lines.push(`cold load time of the same dependency in an unprofiled fresh process (median of ${GROUND_TRUTH_RUNS}, same order).`);
  lines.push('');
  for (const results of all) {
    const deps = depErrors(results, 'importcost');
    const rows = deps.map((d) => {
      const ms = median(results.accuracy.importcost.runs.map((r) => r.deps[d.spec]?.ms ?? Number.NaN));
      const truthMs = results.truthMs[d.spec];
      return [
        d.name,
        mb(d.truth),
        mb(d.medianBytes),
        `${signedPct((d.medianBytes - d.truth) / d.truth)} (${mb(d.medianBytes - d.truth)})`,
        `${signedPct(d.worst / d.truth)} (${mb(d.worst)})`,
        `${d.within}/${d.runs}`,
        `${ratio(ms / truthMs)}`,
      ];
    });
    const un = results.accuracy.importcost.runs.map((r) => r.unattributedShare);
    lines.push(`### ${results.title}`);
    lines.push('');
    lines.push(`Unattributed share: median ${(100 * median(un)).toFixed(2)}%, worst ${(100 * Math.max(...un)).toFixed(2)}%. Sampling residual (signed, share of the program's heap): median ${signedPct(median(results.accuracy.importcost.runs.map((r) => r.residual)))}.`);
    lines.push('');
    if (results.app === 'synthetic') {
      const big = deps.filter((d) => Math.abs(d.worst) > TOLERANCE(d.truth));
      lines.push(`${deps.length} packages; ${deps.filter((d) => d.within === d.runs).length} within tolerance in every run${big.length ? `; outside it in some run: ${big.map((d) => d.name).join(', ')}` : ''}. The first and last five:`);
      lines.push('');
      rows.splice(5, rows.length - 10);
    }
    lines.push(table(['dependency', 'ground truth', 'importcost', 'error (median)', 'worst run', 'within tol.', 'load time vs cold'], rows));
    lines.push('');
  }
  if (all.some((r) => r.app === 'esm')) {
    lines.push('Load time of ESM dependencies: importcost times them from the loader hooks (README, "What the numbers');
    lines.push('mean"), which see resolving and fetching and not the evaluation of ESM bodies, while the cold time is the');
    lines.push('whole `await import()`; under static imports the two do not measure the same span.');
    lines.push('');
  }

  if (analysis) {
    lines.push(`## Analysis cost: the ${analysis.modules.toLocaleString('en')}-module recording`);
    lines.push('');
    lines.push('What the CLI does after the target ends, alone, on the recording of a default-interval run of the');
    lines.push(`synthetic tree (kept with \`IMPORTCOST_KEEP_RECORDING\`), in a fresh process (\`test/bench/analyze.js\`), median of ${analysis.runs}.`);
    lines.push('Peak RSS is the whole analysis process, Node itself included.');
    lines.push('');
    const share = (s) => `${((100 * analysis.ms[s]) / analysis.ms.total).toFixed(0)}%`;
    lines.push(table(['step', 'share of the time'], Object.keys(analysis.ms).filter((s) => s !== 'total').map((s) => [s, share(s)])));
    lines.push('');
    lines.push(table(['measure', 'value'], [
      ['total time (median)', `${(analysis.ms.total / 1000).toFixed(2)} s`],
      ['peak RSS of the process (median)', mb(analysis.peakRssBytes)],
      ['RSS of the process before the analysis (median)', mb(analysis.rssBeforeBytes)],
      ['largest heap at the end of a step (median)', mb(analysis.peakHeapBytes)],
      ['recording (agent output)', mb(analysis.bytes.recording)],
      ['report (.importcost.json)', mb(analysis.bytes.report)],
      ['speedscope file', mb(analysis.bytes.speedscope)],
      ['terminal summary', `${(analysis.bytes.summary / 1000).toFixed(1)} kB`],
    ]));
    lines.push('');
  }
  lines.push(meta.notes);
  lines.push('');
  writeFileSync(outFile, `${lines.join('\n')}\n`);
}

/** Sorted importcost variant keys, finest interval first. */
const icKeysOf = (all) => Object.keys(all[0].accuracy).sort((a, b) => all[0].accuracy[a].interval - all[0].accuracy[b].interval);

/**
 * Dependencies of the real apps that miss the tolerance in some run at the finest interval measured: a bias
 * that no interval fixes, so it says nothing about which interval to choose (they are listed, not hidden).
 */
function biasedDeps(all) {
  const finest = icKeysOf(all)[0];
  const set = new Set();
  for (const results of all) {
    if (results.app === 'synthetic') continue;
    for (const d of depErrors(results, finest)) if (d.within < d.runs) set.add(`${results.app}:${d.spec}`);
  }
  return set;
}

/**
 * The default rule: the largest interval at which every dependency-run was within tolerance and the
 * unattributed share at most 5%; overhead falls as the interval grows, accuracy with it.
 */
function chooseDefault(all) {
  const keys = icKeysOf(all);
  const biased = biasedDeps(all);
  const keepDep = (app, spec) => !biased.has(`${app}:${spec}`);
  const summary = (k) => intervalSummary(all, k, undefined, keepDep);
  const passing = keys.filter((k) => {
    const s = summary(k);
    return s.within === s.total && s.maxUnattributed <= 0.05;
  });
  const best = passing.at(-1);
  const startup = all.find((r) => r.app === 'startup');
  const over = (k) => (startup ? ratio(ratios(startup, k).wall) : 'n/a');
  const interval = (k) => all[0].accuracy[k].interval;
  const biasNames = [...biased].map((x) => x.replace(/:(cjs|esm):/, ': '));
  let text =
    'Rule: the largest interval at which every top-level dependency of the real apps stays within max(0.4 MB, 15%) ' +
    'of the ground truth in every run, with unattributed at most 5%. Overhead only falls as the interval grows, so ' +
    'this is the cheapest interval whose sampling error stays inside the tolerance. ';
  if (biasNames.length) {
    text +=
      `Left out of the rule: ${biasNames.join(', ')}, which miss${biasNames.length > 1 ? '' : 'es'} the tolerance even at ` +
      `the finest interval (${interval(keys[0])}): a bias of the attribution, not sampling error, that no interval fixes ` +
      '(see the per-dependency tables). ';
  }
  if (!best) return `${text}No interval measured meets the rule: the default (${DEFAULT_INTERVAL}) stays as it is.`;
  text += `In this run that is **${interval(best)}** bytes (${over(best)} wall on the 2,000+-module app)`;
  const cheaper = keys.filter((k) => interval(k) > interval(best));
  if (cheaper.length) {
    const miss = cheaper.map((k) => {
      const s = summary(k);
      return `${interval(k)}: ${over(k)}, ${s.total - s.within} dependency-runs outside, worst ${(100 * s.worstRel).toFixed(1)}% ${s.worstName}`;
    });
    text += `; the larger intervals are cheaper but let sampling error past the tolerance (${miss.join('; ')})`;
  }
  text += interval(best) === DEFAULT_INTERVAL ? '. That is the current default.' : `. The current default is ${DEFAULT_INTERVAL}: **this run recommends ${interval(best)}**.`;
  return text;
}

// ---- main ----------------------------------------------------------------------------------
const resultsFile = join(root, 'test', 'artifacts', `bench-results${quick ? '-quick' : ''}.json`);
const notesFile = join(here, 'NOTES.md');
const readNotes = () => (existsSync(notesFile) ? readFileSync(notesFile, 'utf8').trim() : '');
if (flag('--render')) {
  // Re-write BENCHMARKS.md from the last run's raw numbers (after editing test/bench/NOTES.md).
  const saved = JSON.parse(readFileSync(resultsFile, 'utf8'));
  writeDocument(saved.all, saved.analysis, { ...saved.meta, notes: readNotes() }, saved.versions ?? []);
  log(`wrote ${outFile} from ${resultsFile}`);
  process.exit(0);
}
const started = performance.now();
const loadStart = loadavg()[0];
if (!existsSync(join(appsDir, 'node_modules', '.package-lock.json'))) {
  log('installing the apps (npm ci in test/bench/apps)');
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: appsDir, stdio: 'inherit' });
  if (ci.status !== 0) throw new Error('npm ci in test/bench/apps failed');
}
copyGroundTruth(appsDir);
const work = mkdtempSync(join(tmpdir(), 'importcost-bench-'));
const synthDir = appFilter.includes('synthetic') ? mkdtempSync(join(tmpdir(), 'importcost-synthetic-')) : null;
try {
  const all = [];
  for (const app of apps(synthDir)) all.push(benchApp(app, work));
  const versions = [];
  for (const v of VERSIONS) {
    if (!existsSync(versionNode(v))) throw new Error(`no ${versionNode(v)}: run npm ci --prefix test/node-versions`);
    for (const app of apps(null, versionNode(v))) if (VERSION_APPS.includes(app.key)) versions.push(benchApp(app, work));
  }
  const recording = join(work, 'synthetic.recording.json');
  let analysis = null;
  if (existsSync(recording)) {
    log('analysis cost on the synthetic recording');
    analysis = analysisCost(recording, work);
  }
  const choice = chooseDefault(all);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const meta = {
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    date: new Date().toISOString().slice(0, 10),
    minutes: (performance.now() - started) / 60000,
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    memory: totalmem(),
    node: process.version,
    importcost: pkg.version,
    loadStart,
    loadEnd: loadavg()[0],
    shared: process.env.BENCH_SHARED ?? '',
    choice,
    pairs,
    defaultInterval: DEFAULT_INTERVAL,
  };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, JSON.stringify({ meta, all, analysis, versions }, null, 1));
  writeDocument(all, analysis, { ...meta, notes: readNotes() }, versions);
  log(`wrote ${outFile} (raw numbers: ${resultsFile})`);
} finally {
  rmSync(work, { recursive: true, force: true });
  if (synthDir) rmSync(synthDir, { recursive: true, force: true });
}
