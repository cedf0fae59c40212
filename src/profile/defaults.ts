/**
 * Defaults, with the measurements behind them (see BENCHMARKS.md for the tables and commands).
 */
export const DEFAULTS = {
  out: 'importcost-out',
  /**
   * How V8 places heap samples. `deterministic` (V8's --sampling-heap-profiler-suppress-randomness)
   * takes one every interval bytes; `poisson` at random points with that mean. Measured on express +
   * lodash + fastify + @aws-sdk/client-s3 loaded in sequence, error of each dependency's inclusive bytes
   * against the GC-delta ground truth, 4-5 runs each (before the code-space measurement was added):
   *   32,771 B deterministic: -6% .. +12%      32,771 B poisson: -16% .. +21%
   * Deterministic samples are weighed for the way they were taken (analysis/sample-weights.ts); V8's own
   * weights assume poisson and read objects of a third to one interval 2-3 times over.
   * Deterministic's one weakness: a loop allocating objects of one fixed size can stay in phase with
   * it (measured +23% on 5,000 strings of 1,000 chars); `poisson` has no such bias, only more spread.
   */
  sampling: 'deterministic' as 'deterministic' | 'poisson',
  /**
   * Bytes between heap samples. Odd, so that 8-byte-aligned allocation patterns do not stay in phase
   * with it. Measured by `npm run bench` four times (BENCHMARKS.md, 5 runs of three real apps each,
   * deterministic samples weighed by sample-weights.ts), error of each large dependency against the
   * ground truth:
   *   16,411 B: median 1.5-1.8%, worst 8.2-10.7%; every CommonJS dependency within max(0.4 MB, 15%)
   *   32,771 B: median 3.1-4.0%, worst 11.1-16.5%; outside it in some runs: @babel/core -15%, express
   *             (server app) -15..-16% in 3 runs of 5 in the last
   * The ES modules read low at every interval on Node 20 (README, "Known limits"): execa -15..-36% at
   * 16,411 B and -13..-34% at 32,771 B, unified -63..-78%.
   * Cost of each interval on a 2,000+-module start-up: BENCHMARKS.md.
   */
  sampleInterval: 16_411,
  /**
   * Frames kept per sample. The inspector ignores it (V8's inspector always keeps 128); v8-profiler-next
   * honours it (`--stack-depth`). V8 walks and names every kept frame of every sample, about 0.2 us a
   * frame. Measured on the bench's 2,187-module app with v8-profiler-next, the agent alone: 1.30 s at 128,
   * 1.28 s at 48, 1.23 s at 32 (plain node 0.78 s); 99.5% of the sampled bytes had their load's
   * trampoline within the innermost 32 frames, 99.98% within 48.
   */
  stackDepth: 128,
  /** After a server's first listen() completes, keep recording this long (ms). */
  settleMs: 250,
  /** The loop idle (no module loaded, mostly idle) this long after start-up means start-up is over (ms). */
  idleMs: 1500,
  /** Stop recording after this long whatever happens (ms). */
  timeoutMs: 60_000,
  /** After stopping a still-running target with SIGTERM, wait this long before SIGKILL (ms). */
  graceMs: 3000,
};
