/**
 * The verdict on one package from its runs (pure): medians and the paired spread, what counts as still
 * starting, which runs count towards the saving, and the note for each kind of first use.
 */
import { describe, expect, it } from 'vitest';
import { buildDeferPackage, sameOutcome, spreadOf, type AdviceInput, type MeasuredRun } from '../src/analysis/defer-advice.js';
import type { DeferUse } from '../src/recording/format.js';

const ok = { stopReason: 'listening', exitCode: 0, status: 200, error: null };
const run = (heapBytes: number, loadMs: number, outcome = ok, use: DeferUse | null = null): MeasuredRun => ({ heapBytes, loadMs, outcome, use });
const use = (phase: DeferUse['phase'], trap = 'construct'): DeferUse => ({
  package: 'pkg', atMs: 10, phase, site: { file: '/app/server.js', line: 9, column: 14 }, trap, member: 'Client', key: null, error: null,
});
const input = (asIs: MeasuredRun[], deferred: MeasuredRun[]): AdviceInput => ({
  name: 'pkg', version: '1.0.0', predicted: { bytes: 3e6, ms: 50 }, asIs, deferred, method: 'stand-in', suggestions: [],
  notMeasurable: null, sideEffectSites: [], request: 'GET /', cwd: '/app',
});

describe('spreads and outcomes', () => {
  it('median (the lower middle of an even count), min, max, values in run order', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, values: [3, 1, 2] });
    expect(spreadOf([4, 1, 3, 2]).median).toBe(2);
  });
  it('still starting: the same stop reason and exit code, and an answer where there was one', () => {
    expect(sameOutcome(ok, { ...ok, status: 500 })).toBe(true);
    expect(sameOutcome(ok, { ...ok, status: null })).toBe(false);
    expect(sameOutcome(ok, { ...ok, exitCode: 1 })).toBe(false);
    expect(sameOutcome(ok, { ...ok, stopReason: 'crash' })).toBe(false);
    expect(sameOutcome({ stopReason: 'exit', exitCode: 0, error: null }, { stopReason: 'exit', exitCode: 0, error: null })).toBe(true);
  });
});

describe('the verdict', () => {
  it('a saving after start-up: medians as it is less deferred, the paired range, the use and its line', () => {
    const p = buildDeferPackage(input([run(10e6, 300), run(10.02e6, 310), run(10.01e6, 290)], [run(7e6, 200, ok, use('after-startup')), run(7.03e6, 220), run(6.99e6, 210)]));
    expect(p.stillStarts).toBe(true);
    expect(p.measured).toMatchObject({ bytes: 10.01e6 - 7e6, ms: 300 - 210, runs: 3, bytesRange: [2.99e6, 3.02e6] });
    expect(p.firstUse).toEqual({ phase: 'after-startup', site: { file: '/app/server.js', line: 9, column: 14 }, atMs: 10, how: 'new Client' });
    expect(p.note).toBe('First used after start-up at server.js:9:14 (new Client), serving GET /: deferring saved 3.01 MB and 90 ms of load time (predicted 3.00 MB).');
  });

  it('a run that crashed: broken, and left out of the saving', () => {
    const crashed = { stopReason: 'crash', exitCode: 1, error: 'TypeError: x is not a function' };
    const p = buildDeferPackage(input([run(10e6, 300), run(10e6, 300)], [run(7e6, 200), run(3e6, 50, crashed)]));
    expect(p.stillStarts).toBe(false);
    expect(p.outcome).toEqual(crashed);
    expect(p.measured).toMatchObject({ runs: 1, bytes: 3e6 });
    expect(p.note).toMatch(/^Broke with its imports deferred: TypeError: x is not a function \(as it is: listening, exit 0, HTTP 200; deferred: crash, exit 1\)\./);
  });

  it('used at start-up, or never: notes that say what to make of it', () => {
    expect(buildDeferPackage(input([run(10e6, 300)], [run(10e6, 300, ok, use('startup'))])).note).toMatch(/^Used during start-up at server\.js:9:14 \(new Client\): the import's cost stays unless that line moves/);
    expect(buildDeferPackage(input([run(10e6, 300)], [run(7e6, 200)])).note).toMatch(/^Not used in the run \(start-up, then GET \/\): deferring saved 3\.00 MB/);
  });

  it('not measurable in place: the prediction only', () => {
    const p = buildDeferPackage({
      ...input([], []),
      method: 'not-measurable',
      notMeasurable: { site: { file: '/app/server.mjs', line: 6, column: 23 }, statement: "import { execa } from 'execa';", reason: 'named-imports' },
    });
    expect(p).toMatchObject({ measured: null, stillStarts: null, outcome: null, firstUse: { phase: 'never', site: null } });
    expect(p.note).toMatch(/^Not measurable in place: server\.mjs:6:23 \(import \{ execa \} from 'execa';\) imports bindings by name/);
  });
});
