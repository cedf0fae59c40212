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
import { describe, expect, it } from 'vitest';
import { fixture, groundTruthRuns, median, NODE26, runCli } from './helpers/run.js';

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
