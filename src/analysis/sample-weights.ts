/**
 * How many live bytes each heap sample stands for. Pure.
 *
 * V8 reports a sample as `size * count`, with `count = round(1 / (1 - exp(-size / interval)))`: the inverse
 * of the chance that Poisson sampling picks an object of that size. With deterministic sampling (V8's
 * --sampling-heap-profiler-suppress-randomness, our default) an object of size s is picked with chance
 * about min(1, s / interval) instead, so what it stands for is max(s, interval). The Poisson count reads
 * objects of a third to one interval (source strings, large bytecode) 2 or 3 times over, where they
 * stand for one interval. Measured on the bench's 2,187-module app, every live sample against the
 * heap's growth (GC delta, code space left out), 2 runs each:
 *   16,411 B: V8's weights +3.4..+4.2%, these -1.7..-1.0%     (poisson sampling, V8's weights: -0.5..+2.3%)
 *   32,771 B: V8's weights +5.5..+6.1%, these -0.6..0.0%
 *   65,537 B: V8's weights +4.2..+5.1%, these -1.9..-1.0%
 *
 * The reported product does not always name one size: 24,000 at a 16,411 interval is an object of 24,000
 * (count 1) or one of 12,000 (count 2). This takes the smallest weight any reading allows. Checked on
 * samples whose size is known, the source strings of express, lodash, fastify and @aws-sdk/client-s3
 * (test/sample-weights.test.ts): where the readings differ and the file sizes pick one, this is right for
 * 32 of 44 (V8's weight for 12), net -116 kB against V8's +270 kB; at 32,771 B, 26 of 33, -106 kB
 * against +436 kB.
 *
 * Where it reads low, measured on arrays of one size with random small garbage between, 16,411 B:
 * - 8 kB arrays -31% (V8's weights +2%): max(s, interval) assumes samples one interval apart, but V8
 *   counts the next interval from the end of the object it sampled, so a stream made mostly of objects
 *   near the interval is sampled more sparsely;
 * - 32 kB arrays -49% (V8's weights 0%): counted once, they also read as 16 kB objects counted twice,
 *   and the smaller reading wins.
 * Module loading is not like that (the measurements above).
 */
import { FLAT_NODE_FIELDS, type FlatSamplingProfile } from '../recording/format.js';

/** V8 heap objects are 8-byte aligned (64-bit, no pointer compression: Node's builds). */
const OBJECT_ALIGNMENT = 8;

/** V8's SamplingHeapProfiler::ScaleSample for one sample: the count it multiplies the size by. */
export function poissonCount(size: number, interval: number): number {
  return Math.floor(1 / (1 - Math.exp(-size / interval)) + 0.5);
}

/** The bytes a deterministic sample stands for, from the size V8 reported for it (size times count). */
export function deterministicWeight(reported: number, interval: number): number {
  // A count of 1 needs size > ln(3) * interval; below that every reading is an object smaller than the
  // interval, which stands for one interval.
  if (reported <= Math.log(3) * interval) return interval;
  let weight = reported;
  // A count c >= 2 needs 1 / (1 - exp(-x)) >= c - 0.5 at x = size / interval, so about x <= 1 / (c - 1),
  // and reported / interval = c * x <= c / (c - 1): above ln(3) that leaves c < 12.
  for (let count = 2; count <= 16; count++) {
    const size = reported / count;
    if (size < OBJECT_ALIGNMENT) break;
    if (size % OBJECT_ALIGNMENT !== 0 || poissonCount(size, interval) !== count) continue;
    weight = Math.min(weight, Math.max(size, interval));
  }
  return weight;
}

/** How a profile was sampled: bytes between samples (the mean, for poisson), and the mode. */
export interface Sampling {
  interval: number;
  mode: 'deterministic' | 'poisson';
}

/** The bytes one live sample stands for, from the size V8 reported for it. */
export const sampleWeight = (reported: number, sampling: Sampling): number =>
  sampling.mode === 'poisson' ? reported : deterministicWeight(reported, sampling.interval);

/**
 * Bytes per node of a flat profile: each node's live samples, weighted for the way they were taken. For
 * poisson sampling, or a profile without per-sample sizes, that is V8's selfSize.
 */
export function nodeBytes(profile: FlatSamplingProfile, interval: number, sampling: 'deterministic' | 'poisson'): Float64Array {
  const count = profile.nodes.length / FLAT_NODE_FIELDS;
  const bytes = new Float64Array(count);
  const sizes = profile.sizes;
  if (sampling === 'poisson' || sizes === undefined) {
    for (let i = 0; i < count; i++) bytes[i] = profile.nodes[i * FLAT_NODE_FIELDS + 5]!;
    return bytes;
  }
  for (let i = 0; i + 1 < sizes.length; i += 2) {
    const node = sizes[i]!;
    if (node >= 0 && node < count) bytes[node]! += deterministicWeight(sizes[i + 1]!, interval);
  }
  return bytes;
}
