/**
 * What a heap sample stands for (src/analysis/sample-weights.ts): V8 reports size x the Poisson count
 * (SamplingHeapProfiler::ScaleSample), and deterministic samples are read back from that.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture, moduleNamed, NODE22, NODE24, runCli } from './helpers/run.js';
import { deterministicWeight, nodeBytes, poissonCount } from '../src/analysis/sample-weights.js';
import type { FlatSamplingProfile } from '../src/recording/format.js';

const run = promisify(execFile);

const INTERVAL = 16_411;

describe('deterministic sample weights', () => {
  it('reads each kind of object the way deterministic sampling picks it', () => {
    // Small: picked with chance size/interval, stands for one interval (V8 reports 1016 x 17).
    expect(deterministicWeight(1016 * poissonCount(1016, INTERVAL), INTERVAL)).toBe(INTERVAL);
    // Two-thirds of an interval: V8 counts it twice (22,000), it stands for one interval.
    expect(poissonCount(11_000, INTERVAL)).toBe(2);
    expect(deterministicWeight(22_000, INTERVAL)).toBe(INTERVAL);
    // Larger than 1.1 intervals: count 1, always picked, stands for itself.
    expect(deterministicWeight(40_000, INTERVAL)).toBe(40_000);
    expect(deterministicWeight(1_000_000, INTERVAL)).toBe(1_000_000);
    // Just over one interval: V8 counts 17,000 twice (34,000); it is always picked and stands for itself.
    expect(poissonCount(17_000, INTERVAL)).toBe(2);
    expect(deterministicWeight(34_000, INTERVAL)).toBe(17_000);
  });

  // Real samples whose object's size is known: the source strings of the real-deps app's CommonJS files
  // (test/helpers/source-samples.cjs, a real process under V8's deterministic sampler). Only samples whose
  // reported size allows readings of different weight, and whose file sizes pick out one reading, count.
  // Measured: 16,411 B, the decoding right for 32 of 44, V8's weight for 12, net error -116 kB against
  // +270 kB; 32,771 B: 26 of 33 against 7, -106 kB against +436 kB. Held to: right in at least 60% and
  // V8 in at most 40%, and under half of V8's net error.
  for (const interval of [16_411, 32_771]) {
    it(`picks the reading a source string's real size confirms (${interval} B, real packages)`, async () => {
      const { stdout } = await run(process.execPath, [fixture('..', 'helpers', 'source-samples.cjs'), String(interval), fixture('real-deps', 'app.cjs')], {
        maxBuffer: 64 * 1024 * 1024,
      });
      const { samples, stringSizes } = JSON.parse(stdout) as { samples: { reported: number }[]; stringSizes: number[] };
      const sizes = new Set(stringSizes);
      let ambiguous = 0;
      let decodedRight = 0;
      let v8Right = 0;
      let decodedError = 0;
      let v8Error = 0;
      for (const { reported } of samples) {
        const readings = new Set<number>();
        const confirmed = new Set<number>();
        for (let count = 1; count <= 16; count++) {
          const size = reported / count;
          if (size % 8 !== 0 || poissonCount(size, interval) !== count) continue;
          readings.add(Math.max(size, interval));
          if (sizes.has(size)) confirmed.add(Math.max(size, interval));
        }
        if (readings.size < 2 || confirmed.size !== 1) continue;
        const truth = [...confirmed][0]!;
        const decoded = deterministicWeight(reported, interval);
        ambiguous++;
        if (decoded === truth) decodedRight++;
        if (reported === truth) v8Right++;
        decodedError += decoded - truth;
        v8Error += reported - truth;
      }
      const summary = `${decodedRight}/${ambiguous} right against V8's ${v8Right}; net error ${decodedError} against ${v8Error}`;
      expect(ambiguous, summary).toBeGreaterThanOrEqual(15);
      expect(decodedRight / ambiguous, summary).toBeGreaterThanOrEqual(0.6);
      expect(v8Right / ambiguous, summary).toBeLessThanOrEqual(0.4);
      expect(Math.abs(decodedError), summary).toBeLessThan(Math.abs(v8Error) / 2);
    }, 60_000);
  }

  // The agent unsets V8's deterministic-sampling flag for the length of each built-in's first load (so
  // V8 accepts Node's code cache for it) and sets it again after, when the target runs the CLI's own node
  // with no V8 flags: the CLI runs on each version here. The fixture requires node:zlib, then keeps 2,000
  // strings of exactly 8,192 B (half an interval at 16,384 B), one allocation each. Sampled
  // deterministically that reads exact to a sample: measured -0.2% to +0.3% on Node 20, 22 and 24.
  // With the flag left unset, V8 takes each string with chance 0.39 and the weights, read as deterministic,
  // come out -19% to -25% (6 runs of an agent with the second flag change removed). Tolerance: 2%.
  for (const [version, node] of [['20', process.execPath], ['22', NODE22], ['24', NODE24]] as const) {
    it.runIf(existsSync(node))(`samples deterministically after a built-in's first load (Node ${version})`, async () => {
      const run = await runCli(['profile', '-q', '--until', 'exit', '--sample-interval', '16384', fixture('cli', 'after-builtin', 'index.cjs')], { node });
      expect(run.code, run.stderr).toBe(0);
      expect(run.report!.sampling.mode).toBe('deterministic');
      const strings = moduleNamed(run.report!, '/after-builtin/strings.cjs');
      const built = 2000 * 8192 + (16 + 8 * 2000);
      expect(Math.abs(strings.selfBytes / built - 1), `read ${strings.selfBytes} B of ${built}`).toBeLessThanOrEqual(0.02);
    }, 60_000);
  }

  it('weighs the nodes of a flat profile by their samples, and keeps V8 selfSize for poisson', () => {
    const profile: FlatSamplingProfile = {
      format: 'flat',
      urls: [''],
      names: [''],
      nodes: [-1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 54_000],
      samples: 2,
      sizes: [1, 22_000, 1, 40_000],
    };
    expect([...nodeBytes(profile, INTERVAL, 'deterministic')]).toEqual([0, INTERVAL + 40_000]);
    expect([...nodeBytes(profile, INTERVAL, 'poisson')]).toEqual([0, 54_000]);
    expect([...nodeBytes({ ...profile, sizes: undefined }, INTERVAL, 'deterministic')]).toEqual([0, 54_000]);
  });
});
