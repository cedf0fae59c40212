/**
 * The heap sampler: V8's sampling heap profiler through node:inspector (the default, built in) or the
 * optional native v8-profiler-next, and the profile flattened for the recording. Built-ins only.
 */
import inspector = require('node:inspector');
import path = require('node:path');
import type { FlatSamplingProfile, V8SamplingNode, V8SamplingProfile } from '../recording/format.js';
import type { AgentConfig, RawProfile, Sampler } from './types.cjs';

/** An in-process inspector session; `post` answers synchronously, even inside process.on('exit'). */
function connectInspector(): (method: string, params?: object) => any {
  const session = new inspector.Session();
  session.connect();
  return (method: string, params?: object): any => {
    let result: unknown;
    let failure: Error | null = null;
    session.post(method, params, (err, res) => {
      failure = err;
      result = res;
    });
    if (failure) throw failure;
    return result;
  };
}



function startSampler(config: AgentConfig, post: (method: string, params?: object) => any): Sampler {
  if (config.sampler === 'none') return { stop: () => null, collectsGarbage: false };
  if (config.sampler === 'v8-profiler-next') {
    const binding = loadV8ProfilerNext(config.v8ProfilerDir ?? '');
    binding.startSamplingHeapProfiling(config.sampleInterval, config.stackDepth);
    return {
      stop() {
        const profile = binding.stopSamplingHeapProfiling() as { head: V8SamplingNode };
        // Its frames are 1-based (V8's C++ API); the inspector's, which the analysis expects, are 0-based.
        return { head: profile.head, samples: null, lineBase: 1 };
      },
      collectsGarbage: false,
    };
  }
  post('HeapProfiler.startSampling', {
    samplingInterval: config.sampleInterval,
    stackDepth: config.stackDepth,
  });
  return {
    stop() {
      // stopSampling returns the profile and stops first: with getSamplingProfile the profile's own
      // transport (0.5 MB measured) was sampled and showed up in the agent bucket.
      const { profile } = post('HeapProfiler.stopSampling') as { profile: V8SamplingProfile };
      return { head: profile.head, samples: profile.samples, lineBase: 0 };
    },
    collectsGarbage: true,
  };
}

/**
 * The profile tree as flat arrays (FlatSamplingProfile in recording/format.ts): 6 numbers a node, urls and
 * names once each. Measured on the 2,187-module bench app: 21,000 nodes, 3.9 MB of JSON as a tree and
 * 0.5 MB flat; the recording took 25-35 ms to write as a tree and 5 ms flat, and the CLI parses it in
 * 3 ms instead of 17. `lineBase` is what the sampler counts lines and columns from.
 */
function flatten(head: V8SamplingNode, samples: V8SamplingProfile['samples'] | null, lineBase: number): FlatSamplingProfile {
  const urls: string[] = [];
  const names: string[] = [];
  const urlIndex = new Map<string, number>();
  const nameIndex = new Map<string, number>();
  const intern = (table: string[], index: Map<string, number>, key: string): number => {
    let at = index.get(key);
    if (at === undefined) {
      at = table.length;
      table.push(key);
      index.set(key, at);
    }
    return at;
  };
  const nodes: number[] = [];
  const indexById = new Map<number, number>();
  const pending: V8SamplingNode[] = [head];
  const parents: number[] = [-1];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const parent = parents.pop()!;
    const self = nodes.length / 6;
    const frame = node.callFrame;
    indexById.set(node.id, self);
    nodes.push(
      parent,
      intern(urls, urlIndex, frame.url),
      intern(names, nameIndex, frame.functionName),
      frame.lineNumber - lineBase,
      frame.columnNumber - lineBase,
      node.selfSize,
    );
    for (const child of node.children) {
      pending.push(child);
      parents.push(self);
    }
  }
  if (samples === null) return { format: 'flat', urls, names, nodes, samples: 0 };
  // Each sample's size as V8 reports it: the analysis weighs it for the sampling mode (sample-weights.ts).
  // In allocation order (V8 lists them in no order): bundles.ts needs to know what came just before what.
  samples.sort((a, b) => a.ordinal - b.ordinal);
  const sizes: number[] = [];
  for (const sample of samples) sizes.push(indexById.get(sample.nodeId) ?? -1, sample.size);
  return { format: 'flat', urls, names, nodes, samples: samples.length, sizes, ordered: true };
}

/** v8-profiler-next's own loader looks for a prebuilt binary first; a source build lands in build/Release. */
function loadV8ProfilerNext(dir: string): {
  startSamplingHeapProfiling(interval: number, depth: number): void;
  stopSamplingHeapProfiling(): unknown;
} {
  try {
    return require(path.join(dir, 'lib', 'binding.js')).samplingHeap;
  } catch {
    return require(path.join(dir, 'build', 'Release', 'profiler.node')).samplingHeap;
  }
}

export = { connectInspector, startSampler, flatten };
