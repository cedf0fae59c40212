/**
 * Defaults, with the measurements behind them (see BENCHMARKS.md for the tables and commands).
 */
export const DEFAULTS = {
  out: 'importcost-out',
  /**
   * Mean bytes between heap samples. Sampling is made deterministic (V8's
   * --sampling-heap-profiler-suppress-randomness, set by the agent): on the real-deps fixture that took
   * per-dependency run-to-run spread from about ±20% to about ±2% at the same interval. The interval
   * is odd so that allocation patterns (8-byte aligned) cannot stay in phase with it.
   * Chosen from the accuracy-vs-overhead table in BENCHMARKS.md.
   */
  sampleInterval: 32_771,
  /** Frames kept per sample. Only the innermost trampoline matters; measured cost flat from 16 to 512. */
  stackDepth: 128,
  /** After a server's first listen() completes, keep recording this long (ms). */
  settleMs: 250,
  /** The loop idle (no module loaded, mostly idle) this long after start-up means start-up is over (ms). */
  idleMs: 1500,
  /** Stop recording after this long whatever happens (ms). */
  timeoutMs: 60_000,
  /** After stopping a still-running target with SIGTERM, wait this long before SIGKILL (ms). */
  graceMs: 3000,
} as const;
