/**
 * Attribution of fixtures that retain a known number of bytes by construction (test/fixtures/known),
 * in CommonJS and ESM, through the real CLI in a real child process.
 *
 * Setting: --sample-interval 8209 (one unit, ~1 MB, is ~125 samples). Tolerance: each module's self and
 * inclusive bytes within 15% or 200 kB (whichever is larger) of construction on Node 20 and 22, 35% on
 * Node 24 (margin over the measured maxima below). Construction counts the strings and arrays only; a module also retains its own code,
 * including the JIT code of its hot loop (code space, 0.05-0.15 MB a module, measured at the load's
 * boundaries), and the ground truth counts that too. Measured with deterministic samples weighed by
 * src/analysis/sample-weights.ts, per module: Node 20 -7% to +1% (7 runs), Node 22 -4% to +4% (5 runs),
 * Node 24 -6% to +20% (6 runs; its one +20% was a 3-unit module in a run with a code lump, below).
 * (With V8's own weights: Node 20 -1% to +12.2%, Node 22 -1% to +12%, Node 24 +3% to +25%.) The
 * sampler also counts each module's own code and Module objects (a few kB).
 * On Node 22 and 24 the bytes checked are the sampled part only (less the module's measured code
 * growth), because Maglev's optimized code lands in lumps: on Node 24, 0.25-0.37 MB of code growth in one
 * load in 3 of 10 runs (chain-b, thrower), the next load then growing by nothing, and one CI run read
 * thrower +39% that way; with --no-maglev no lump appeared in 6 runs. Node 22 showed none in 8 runs
 * alone, but a full-suite run read a 3-unit module +16%, so it is checked the same way. Those lumps are real retained
 * heap but not part of construction, so instead each module's measured code growth is held under 1 MB
 * (the largest seen: 0.58 MB, on the entry, between its children's loads).
 * At 32,771 B the same fixtures measured -8% to +9% on Node 20 (2 runs; -6% to +23% with V8's weights),
 * at 4,099 B -9% to +4% (+15% to +19% with V8's weights); the default is held to the issue's tolerance on
 * real dependencies in real-deps.test.ts.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { fixture, groundTruth, moduleNamed, runCli, type CliRun, NODE22, NODE24, NODE26, V8_PROFILER_NEXT } from './helpers/run.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deferCandidates, deferralSavings, summarizePackages } from '../src/analysis/rollup.js';
import type { Recording } from '../src/recording/format.js';

/** One unit, as test/fixtures/known/README.md derives it: 1,000 strings of 500..1500 chars + the array. */
function unitBytes(): number {
  let bytes = 16 + 8 * 1000;
  for (let i = 0; i < 1000; i++) bytes += 16 + Math.ceil((500 + ((i * 7919) % 1001)) / 8) * 8;
  return bytes;
}
const UNIT = unitBytes();
const INTERVAL = ['--sample-interval', '8209'];
const withinOf = (actual: number, expected: number, relative = 0.15): void => {
  const tolerance = Math.max(relative * expected, 200_000);
  expect(Math.abs(actual - expected), `actual ${actual} vs expected ${expected} (±${Math.round(tolerance)})`).toBeLessThanOrEqual(tolerance);
};

function checkShapes(run: CliRun, ext: string, relative = 0.15, sampledSelf = false): void {
  const report = run.report!;
  const within = (actual: number, expected: number): void => withinOf(actual, expected, relative);
  const found = (name: string) => moduleNamed(report, `/${name}${ext}`);
  // With sampledSelf, a module's bytes less its own measured code growth (see the top of this file).
  const m = (name: string) => {
    const module = found(name);
    const unsampled = sampledSelf ? (module.unsampledBytes ?? 0) : 0;
    if (sampledSelf) expect(unsampled, `${name}: code growth ${unsampled}`).toBeLessThanOrEqual(1_000_000);
    // Inclusive bytes lose the module's own code growth too; its children's lumps (each under 1 MB)
    // stay in, against inclusive sizes of 3 units or more.
    return {
      ...module,
      selfBytes: module.selfBytes - unsampled,
      totalBytes: module.totalBytes - unsampled,
      exclusiveBytes: module.exclusiveBytes! - unsampled,
    };
  };
  // chain: entry > a (1) > b (2) > c (3); inclusive sums down the chain.
  within(m('chain-c').selfBytes, 3 * UNIT);
  within(m('chain-b').selfBytes, 2 * UNIT);
  within(m('chain-a').selfBytes, 1 * UNIT);
  within(m('chain-a').totalBytes, 6 * UNIT);
  expect(m('chain-b').parent).toBe(m('chain-a').id);
  expect(m('chain-c').parent).toBe(m('chain-b').id);
  // two parents: the first loader is charged; the second one loads nothing new.
  expect(m('shared').parent).toBe(m('parent-1').id);
  within(m('shared').selfBytes, 2 * UNIT);
  within(m('parent-1').totalBytes, 3 * UNIT);
  within(m('parent-2').totalBytes, 1 * UNIT);
  // What not loading each would save (exclusiveBytes): parent-1 loaded shared first, but parent-2
  // imports it too, so only parent-1's own unit; the chain and the cycle are reached only through a and x.
  within(m('parent-1').exclusiveBytes, 1 * UNIT);
  within(m('chain-a').exclusiveBytes, 6 * UNIT);
  within(m('cycle-x').exclusiveBytes, 3 * UNIT);
  // circular pair: x loads y, y's require of x gets the unfinished x; no loop in the tree.
  expect(m('cycle-y').parent).toBe(m('cycle-x').id);
  within(m('cycle-x').selfBytes, 1 * UNIT);
  within(m('cycle-y').selfBytes, 2 * UNIT);
  within(m('cycle-x').totalBytes, 3 * UNIT);
  // throws inside a try/catch: what it retained before throwing is still its own.
  within(m('thrower').selfBytes, 1 * UNIT);
  // The entry's inclusive bytes hold all of it: 1+2+3 + 1+2+1 + 1+2 + 1 = 14 units.
  within(m('entry').totalBytes, 14 * UNIT);
  expect(m('entry').parent).toBeNull();
}

/** IMPORTCOST_KEEP_RECORDING for one run, and the recording it kept. */
function keptRecording(): { env: Record<string, string>; read: () => Recording } {
  const file = join(mkdtempSync(join(tmpdir(), 'importcost-test-')), 'recording.json');
  return { env: { IMPORTCOST_KEEP_RECORDING: file }, read: () => JSON.parse(readFileSync(file, 'utf8')) as Recording };
}

describe('fixtures with known retained bytes', () => {
  it('construction matches the GC-delta ground truth: -10% to +25% (the module code comes on top)', async () => {
    // Measured on Node 20 over 20 fresh processes: 0.956 to 1.174 of construction, in modes (-4% in 4
    // of 20, +3%, +7..+10%, +17%): the loop's JIT code, and what the JIT and GC happen to free or add
    // during the load (test/real-deps.test.ts explains that noise). A median of 3 fell at -4% in CI.
    const truth = await groundTruth(fixture('known', 'cjs'), ['cjs:./chain-c']);
    expect(truth['cjs:./chain-c']! / (3 * UNIT)).toBeGreaterThan(0.9);
    expect(truth['cjs:./chain-c']! / (3 * UNIT)).toBeLessThan(1.25);
  });

  it('CommonJS: chain, two parents, circular pair, a module that throws', async () => {
    const kept = keptRecording();
    const run = await runCli(['profile', ...INTERVAL, fixture('known', 'cjs', 'entry.js')], { env: kept.env });
    expect(run.code).toBe(0);
    // The end of the heap was read at the inspector sampler's own full GC (the agent runs none).
    expect(kept.read().heap.endGc).toBe('sampler');
    checkShapes(run, '.js');
    expect(moduleNamed(run.report!, '/thrower.js').ok).toBe(false);
    expect(moduleNamed(run.report!, '/chain-a.js').site).toMatchObject({ line: 2, column: 9 });
  });

  it('ESM: the same shapes, with chains from the import graph', async () => {
    const run = await runCli(['profile', ...INTERVAL, fixture('known', 'esm', 'entry.js')]);
    expect(run.code).toBe(0);
    checkShapes(run, '.js');
    expect(run.report!.modules.filter((m) => m.path.includes('/known/esm/')).every((m) => m.kind === 'esm')).toBe(true);
    expect(moduleNamed(run.report!, '/chain-a.js').site).toMatchObject({ line: 2, column: 8 });
    expect(moduleNamed(run.report!, '/thrower.js').site).toMatchObject({ line: 8 });
  });

  it('--exact: every CommonJS module within 8% or 100 kB of construction (measured +0.3% to +4.4%)', async () => {
    // Exact mode brackets each load with full GCs, so this holds tighter than sampling; the slack is each
    // module's own code, which construction does not count.
    const run = await runCli(['profile', '--exact', fixture('known', 'cjs', 'entry.js')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report!.sampling.exact).toBe(true);
    const exactWithin = (actual: number, expected: number) =>
      expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(Math.max(0.08 * expected, 100_000));
    const m = (name: string) => moduleNamed(run.report!, `/${name}.js`);
    for (const [name, units] of [['chain-a', 1], ['chain-b', 2], ['chain-c', 3], ['parent-1', 1], ['shared', 2], ['parent-2', 1], ['cycle-x', 1], ['cycle-y', 2], ['thrower', 1]] as const) {
      exactWithin(m(name).selfBytes, units * UNIT);
    }
    exactWithin(m('chain-a').totalBytes, 6 * UNIT);
  });

  // ESM bodies, with --esm-evaluation: the load hooks append a line that reports when each body has run
  // (on Node 20 from the hooks thread, on 22+ in-thread). Measured: slow.mjs 59.5-59.8 ms on Node 20, 22
  // and 24.
  for (const [version, node] of [['20', process.execPath], ['22', NODE22], ['24', NODE24], ['26', NODE26]] as const) {
    it.runIf(existsSync(node))(`ESM evaluation time on Node ${version}: a 60 ms body reads 55-80 ms, and neither it nor the CommonJS it imports counts in its importer`, async () => {
      const run = await runCli(['profile', '--esm-evaluation', '--node', node, fixture('known', 'esm-time', 'entry.mjs')]);
      expect(run.code, run.stderr).toBe(0);
      const report = run.report!;
      const slow = moduleNamed(report, '/esm-time/slow.mjs');
      expect(slow.evaluationMs).toBeGreaterThanOrEqual(55);
      expect(slow.evaluationMs).toBeLessThanOrEqual(80);
      expect(slow.selfMs).toBeGreaterThanOrEqual(slow.evaluationMs!);
      const entry = moduleNamed(report, '/esm-time/entry.mjs');
      // Its own body is a few lines: what it imports (60 + 30 ms) is in its total, not its self.
      expect(entry.selfMs).toBeLessThan(15);
      expect(entry.totalMs).toBeGreaterThanOrEqual(85);
      expect(moduleNamed(report, '/esm-time/dep.cjs').selfMs).toBeGreaterThanOrEqual(28);
      // The appended line runs after a trailing comment with no newline (entry.mjs) and in a module that
      // starts with a hashbang (bang.mjs): every body's end was seen.
      for (const name of ['entry', 'fast', 'bang']) {
        const m = moduleNamed(report, `/esm-time/${name}.mjs`);
        expect(m.evaluationMs, name).toBeGreaterThanOrEqual(0);
        expect(m.evaluationMs, name).toBeLessThan(15);
      }
      expect(moduleNamed(report, '/esm-time/dep.cjs').evaluationMs).toBeUndefined();
    });
  }

  it('without --esm-evaluation, ESM sources pass through untouched and no body is timed', async () => {
    const run = await runCli(['profile', fixture('known', 'esm-time', 'entry.mjs')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report!.modules.filter((m) => m.evaluationMs !== undefined)).toEqual([]);
    // slow.mjs's 60 ms body is then in no module's time: its own is fetching the source.
    expect(moduleNamed(run.report!, '/esm-time/slow.mjs').selfMs).toBeLessThan(30);
  });

  it('poisson sampling is unbiased on a fixed-size allocation loop (the deterministic worst case)', async () => {
    const run = await runCli(['profile', '--sampling', 'poisson', '--sample-interval', '16411', fixture('known', 'periodic', 'entry.js')]);
    expect(run.code).toBe(0);
    expect(run.report!.sampling.mode).toBe('poisson');
    // 5,000 strings of exactly 1,000 chars: 5 * (1000 * 1016 + 8016) bytes; poisson spread at this
    // interval is ~6% (sqrt(16411 / 5.1e6)), tolerance 15%.
    withinOf(moduleNamed(run.report!, '/periodic/retain.js').selfBytes, 5 * (1000 * 1016 + 8016));
  });

  it('deferral savings: a package whose dependency is imported elsewhere too saves only its own bytes', async () => {
    // pkg-a (1 unit) loads pkg-s (2 units) first, and ./own.js requires pkg-s as well: deferring pkg-a
    // takes 1 unit out of start-up, not the 3 of its inclusive bytes; deferring pkg-s takes its 2.
    // (A probe against the ground truth, entry.js less entry-without-a.js in fresh processes, read
    // 1.25 and 1.59 MB: each process carries its own JIT lumps, so construction is the reference.)
    const run = await runCli(['profile', ...INTERVAL, fixture('known', 'defer', 'entry.js')]);
    expect(run.code, run.stderr).toBe(0);
    const report = run.report!;
    const rows = summarizePackages(report);
    const row = (name: string) => rows.find((r) => r.name === name)!;
    withinOf(row('pkg-a').totalBytes, 3 * UNIT);
    withinOf(deferralSavings(report, row('pkg-a')), 1 * UNIT);
    withinOf(deferralSavings(report, row('pkg-s')), 2 * UNIT);
    const pkgA = moduleNamed(report, '/pkg-a/index.js');
    withinOf(pkgA.exclusiveBytes!, 1 * UNIT);
    // The whole graph is in the report: own.js imports pkg-s although pkg-a loaded it first.
    const own = moduleNamed(report, '/defer/own.js');
    expect(own.imports).toContain(moduleNamed(report, '/pkg-s/index.js').id);
    expect(pkgA.imports).toContain(moduleNamed(report, '/pkg-s/index.js').id);
    expect(moduleNamed(report, '/pkg-s/index.js').parent).toBe(pkgA.id);
    // The summary's defer candidates: the app's direct imports by what deferring them saves. pkg-s
    // (imported by own.js too) first, then pkg-a at the entry's line.
    const candidates = deferCandidates(report);
    expect(candidates.map((c) => c.row.name)).toEqual(['pkg-s', 'pkg-a']);
    expect(candidates[0]!.importers).toHaveLength(1);
    const section = run.stderr.slice(run.stderr.indexOf('Defer candidates'));
    expect(section).toMatch(/1\. pkg-s@2\.0\.0 +[\d.]+ MB .*imported by \.\/test\/fixtures\/known\/defer\/own\.js\n/);
    expect(section).toMatch(/2\. pkg-a@1\.0\.0 +[\d.]+ (MB|kB) .*at test\/fixtures\/known\/defer\/entry\.js:4:9\n/);
  });

  // The optional native backend: built by `npm ci` here (CI fails rather than skips if it is not).
  it.runIf(existsSync(V8_PROFILER_NEXT) || process.env.CI)('v8-profiler-next backend: the same shapes and tolerances', async () => {
    for (const kind of ['cjs', 'esm'] as const) {
      const kept = keptRecording();
      const run = await runCli(['profile', ...INTERVAL, '--sampler', 'v8-profiler-next', fixture('known', kind, 'entry.js')], { env: kept.env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.report!.sampling.sampler).toBe('v8-profiler-next');
      // Its sampler runs no GC of its own: the agent runs one.
      expect(kept.read().heap.endGc).toBe('agent');
      checkShapes(run, '.js');
    }
  });

  it.runIf(existsSync(V8_PROFILER_NEXT) || process.env.CI)('v8-profiler-next with --stack-depth 32 (cheaper): the same shapes and tolerances', async () => {
    // The fixtures' loads nest 4 deep, about 40 frames with Node's and the agent's: a sample keeps its
    // innermost 32 frames, and the innermost trampoline is among them.
    for (const kind of ['cjs', 'esm'] as const) {
      const run = await runCli(['profile', ...INTERVAL, '--sampler', 'v8-profiler-next', '--stack-depth', '32', fixture('known', kind, 'entry.js')]);
      expect(run.code, run.stderr).toBe(0);
      checkShapes(run, '.js');
    }
  });

  for (const [version, node] of [['22', NODE22], ['24', NODE24], ['26', NODE26]] as const) {
    it.runIf(existsSync(node))(`Node ${version}: CommonJS and ESM shapes (in-thread ESM hooks)`, async () => {
      for (const [kind, ext] of [['cjs', '.js'], ['esm', '.js']] as const) {
        const kept = keptRecording();
        const run = await runCli(['profile', ...INTERVAL, '--node', node, fixture('known', kind, 'entry.js')], { env: kept.env });
        expect(run.code, run.stderr).toBe(0);
        expect(run.report!.node).toMatch(new RegExp(`^v${version}\\.`));
        expect(kept.read().heap.endGc).toBe('sampler');
        checkShapes(run, ext, version === '22' ? 0.15 : 0.35, true);
      }
      // The import graph on this version: deferring pkg-a saves its own unit, not pkg-s's two.
      const run = await runCli(['profile', ...INTERVAL, '--node', node, fixture('known', 'defer', 'entry.js')]);
      expect(run.code, run.stderr).toBe(0);
      const pkgA = summarizePackages(run.report!).find((r) => r.name === 'pkg-a')!;
      const codeGrowth = moduleNamed(run.report!, '/pkg-a/index.js').unsampledBytes;
      withinOf(deferralSavings(run.report!, pkgA) - codeGrowth, 1 * UNIT, version === '22' ? 0.15 : 0.35);
    });
  }
});
