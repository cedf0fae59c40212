/**
 * Builtins the agent loads itself (v8, inspector, worker_threads, perf_hooks, and stream with them) are in
 * the heap before the program's first line, so the program's first load of one of them, or of a builtin
 * that needs one, used to find it paid for: pino (which loads worker_threads) read -36..-56% on Node
 * 22-26 and -60..-66% on Node 20. The CLI now measures what the agent paid (src/profile/builtin-costs.ts)
 * and charges it to the program's builtin, out of the baseline.
 * Tolerance: the max(0.4 MB, 15%) of the GC-delta ground truth (a CommonJS truth script, as the
 * program is: test/helpers/ground-truth.cjs), plus the JIT share J measured in the same run (see
 * test/real-deps.test.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinsInSourceOrder, finishReport, prepareReport } from '../src/analysis/build-report.js';
import { agentPaidBuiltins } from '../src/profile/builtin-costs.js';
import { gatherFileFacts } from '../src/profile/file-facts.js';
import { fixture, groundTruthRuns, keptRecording, median, moduleNamed, NODE22, NODE24, NODE26, runCli } from './helpers/run.js';

const DIR = fixture('agent-builtins');
const SPECS = ['cjs:lodash', 'cjs:pino'];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe.each([
  ['20', process.execPath],
  ['26', NODE26],
].filter(([, node]) => existsSync(node!)))('pino on Node %s', (_, node) => {
  it("charges the agent's worker_threads to pino's load of it, within tolerance of the ground truth", async () => {
    const clean = await groundTruthRuns(DIR, SPECS, { node, flags: ['--single-threaded', '--no-sparkplug'] });
    const plain = await groundTruthRuns(DIR, SPECS, { node, runs: 5 });
    const jit = Math.max(0, sum(SPECS.map((s) => median(plain[s]!))) - sum(SPECS.map((s) => median(clean[s]!))));
    const run = await runCli(['profile', '--node', node!, `${DIR}/app.cjs`]);
    expect(run.code, run.stderr).toBe(0);
    const report = run.report!;
    const pino = report.modules.find((m) => m.parent === 0 && m.package?.name === 'pino')!;
    const expected = median(plain['cjs:pino']!);
    console.log(`Node ${report.node}: pino ${pino.totalBytes} vs ${expected} (${((100 * (pino.totalBytes - expected)) / expected).toFixed(1)}%, J ${jit})`);
    expect(Math.abs(pino.totalBytes - expected)).toBeLessThanOrEqual(Math.max(400_000, 0.15 * expected) + jit);
    // The bytes moved: on the builtin, estimated, and out of the baseline (heapBytes still adds up).
    const workerThreads = report.modules.find((m) => m.path === 'node:worker_threads')!;
    expect(workerThreads.estimatedBytes).toBeGreaterThan(16_384);
    expect(report.buckets.find((b) => b.name === 'baseline')!.description).toMatch(/less \d+ bytes of builtins importcost had loaded/);
    expect(report.totals.attributedBytes + report.buckets.reduce((s, b) => s + b.bytes, 0)).toBe(report.totals.heapBytes);
  });
});

/**
 * An ES import of node:process builds its facade, which reads every export: process.stdin among them, which
 * loads the streams the agent loaded before the program's first line. The builtins' replay imports
 * `import:process` where an ES import built that facade first in source order, and what the agent paid goes
 * to that importer (stop 23; before it, unified read -29..-40% on the bench's ESM tree on Node 24 and 26).
 * Here two modules import node:process, reads-process.mjs first in source order; after.mjs also retains
 * 256 kB of its own. Checked on one kept recording, built with the replay's answer and with that answer less
 * its `import:process` share: the share lands on reads-process.mjs alone, and brings it nearer its ground
 * truth (stdin /dev/null and output to pipes in both, as runCli gives the target: on Node 24 the truth read
 * 0.60 MB with stderr a file, 0.74 MB with a pipe). The truth runs --single-threaded: on Node 24, 3 runs
 * in 10 read 1.20 MB instead of 0.74 MB (a background thread's work landing inside the measurement; none of
 * 12 with the flag, and Node 22 and 26 read the same with it or without), and CI once took a median of
 * 1.03 MB. Tolerance: within max(0.15 MB, 15%) of the truth with the share (8 runs on 2026-12-04: Node 22
 * -2..+14%, Node 24 -7..-2%, Node 26 +4..+10%, at most 91 kB off), and further off without it
 * (-20..-36%: the share is 218-230 kB).
 */
describe.each([
  ['22', NODE22],
  ['24', NODE24],
  ['26', NODE26],
].filter(([, node]) => existsSync(node!)))('the facade of node:process on Node %s', (_, node) => {
  it("carries what the agent paid for it, on its first ES importer in source order", async () => {
    const recording = await keptRecording(`${DIR}/facade.mjs`, node!);
    const prepared = prepareReport(recording, (raw) => gatherFileFacts(raw));
    const names = builtinsInSourceOrder(prepared);
    expect(names).toContain('import:process');
    const paid = await agentPaidBuiltins(node!, true, names, recording.agentBuiltins ?? []);
    const share = paid['import:process'] ?? 0;
    const { 'import:process': _, ...others } = paid;
    const options = { importcost: '0.0.0-test', command: [] };
    const [withShare, without] = [finishReport(prepared, recording, { ...options, agentPaid: paid }), finishReport(prepared, recording, { ...options, agentPaid: others })];
    const first = (report: typeof withShare) => moduleNamed(report, 'reads-process.mjs').totalBytes;
    const later = (report: typeof withShare) => moduleNamed(report, 'after.mjs').totalBytes;
    const spec = `esm:${pathToFileURL(join(DIR, 'reads-process.mjs')).href}`;
    const truth = median((await groundTruthRuns(DIR, [spec], { node: node!, stdinNull: true, flags: ['--single-threaded'] }))[spec]!);
    console.log(`Node ${withShare.node}: reads-process.mjs ${first(withShare)} (without the facade's share ${first(without)}) vs ${truth}; share ${share}`);
    expect(share).toBeGreaterThan(50_000);
    expect(first(withShare) - first(without)).toBe(share);
    expect(later(withShare)).toBe(later(without));
    expect(Math.abs(first(withShare) - truth)).toBeLessThanOrEqual(Math.max(150_000, 0.15 * truth));
    expect(Math.abs(first(without) - truth)).toBeGreaterThan(Math.abs(first(withShare) - truth));
  });
});
