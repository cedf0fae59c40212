/**
 * The importcost agent: preloaded with `node --require <this file>` into the target process.
 *
 * It runs inside someone else's program, so it stays small, uses node:* built-ins only, and never changes
 * what the program does. Per module load it only pushes a tuple and calls through a trampoline; every
 * other step (chains, packages, sites, attribution) happens after the run, in the CLI's analysis.
 *
 * How heap is attributed (measured in shared/NOTES.md): V8's sampling heap profiler keeps a sample for
 * every sampled object that is still alive, with its allocation stack. Each first CommonJS load runs
 * through a tiny function of its own (a trampoline: function `id % TRAMPOLINE_BATCH`, on that line, of a
 * script named `<prefix><batch>`), so the innermost such frame on a sample's stack names the load that
 * allocated it.
 * ESM module bodies carry their own file:// url; their importers come from the resolve hook.
 */
import type { Recording, RecordingHeap, RecordingListen, RecordingModules, StopReason } from '../recording/format.js';

import path = require('node:path');
import vm = require('node:vm');
import perfHooks = require('node:perf_hooks');
import v8 = require('node:v8');
import type { AgentConfig, RawProfile } from './types.cjs';
import context = require('./context.cjs');
import cjsHooks_ = require('./cjs-hooks.cjs');
import esmLoaderHooks = require('./esm-loader-hooks.cjs');
import sampler_ = require('./sampler.cjs');
import stopConditions = require('./stop-conditions.cjs');
import writer = require('./recording-writer.cjs');
import eventStream = require('./event-stream.cjs');
import identity = require('./identity.cjs');
import trampolines = require('./trampolines.cjs');
import evaluation = require('./evaluation-mark.cjs');
// Loaded with the agent, not when it is used at the end: by then the program may have patched require
// (an APM agent does), and it would see the agent's own files load.
import startupUse = require('./startup-use.cjs');
import nodeModule = require('node:module');

/**
 * The url of the agent's frames. The analysis takes every file beside it (this folder) as the agent's:
 * its allocations form the `agent` bucket, but for the wrappers Node's own work runs inside.
 */
const AGENT_URL = __filename;
/** What `--require` loads (preload.cts): it loads this file in each process and thread of the command. */
const PRELOAD_FILE = path.join(__dirname, 'preload.cjs');
/**
 * Start the agent where the CLI's settings are there (preload.cts calls it; `loadedBefore`: how many modules
 * Node had loaded before the agent's own). The settings stay in the environment (with NODE_OPTIONS) so that
 * every Node process the program starts, and every worker thread, profiles too. A process that outlives
 * the CLI's run (its work folder gone) is left alone.
 */
function main(loadedBefore?: number): void {
  const configText = process.env.IMPORTCOST_AGENT;
  const config = configText === undefined ? null : context.readConfig(configText);
  if (config === null) return;
  stripOwnExecArgv();
  start(config, loadedBefore);
}

/**
 * Remove `--require <preload>` from process.execArgv where it was given on the command line, so the
 * program sees (and forks with) its own flags. (The CLI passes it in NODE_OPTIONS, which execArgv does not
 * show.)
 */
function stripOwnExecArgv(): void {
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '--require' || argv[i] === '-r') && argv[i + 1] === PRELOAD_FILE) {
      argv.splice(i, 2);
      return;
    }
    if (argv[i] === `--require=${PRELOAD_FILE}`) {
      argv.splice(i, 1);
      return;
    }
  }
}

function start(config: AgentConfig, loadedBefore: number | undefined): void {
  const ctx = context.createContext(config);
  const { now, t0 } = ctx;
  const self = identity.identify(config.cliPid);
  const file = (suffix: string): string => path.join(config.dir, `${self.key}${suffix}`);
  fatalReport(self.threadId, config.dir, `${self.key}.fatal.json`);
  /** This process's V8 version, flags and CPU features, before the agent changes a flag. */
  const codeCacheTag = v8.cachedDataVersionTag();
  const post = sampler_.connectInspector();
  // The same GC as the ground truth's `gc()` (a full, non-memory-reducing collection). The inspector's
  // HeapProfiler.collectGarbage is a low-memory notification instead: it also flushes bytecode and
  // compiled code, which measured got at -15% against the ground truth. `gc` is taken from a private
  // context and the flag unset again at once, so the program's own contexts never see a `gc` global.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  v8.setFlagsFromString('--no-expose-gc');
  const collectGarbage = (): void => {
    gc();
    gc();
  };
  // The end of the run takes one full GC, not two: on the 2,187-module bench app the second one freed
  // 30 kB of a 76 MB heap (0.04%) and cost 30 ms (0.04x of plain start-up). --exact keeps two. With the
  // inspector's sampler that one GC is the sampler's own (see finish), and this runs only as a fallback.
  const collectGarbageAtEnd = (): void => (config.exact ? collectGarbage() : gc());
  /** heapUsed after two full GCs (used_heap_size is heapUsed without reading RSS). */
  const settledHeap = (): number => {
    collectGarbage();
    return v8.getHeapStatistics().used_heap_size;
  };

  // The sampling heap profiler sees what the program's thread allocates, and not what V8's compiler
  // threads put in its code spaces (compiled code) and, from V8 12 (Node 22+), its trusted spaces
  // (bytecode, code metadata). Measured: 1.12 MB of code space unsampled on Node 20, and on Node 24 5 MB
  // of code plus 5.2 MB of trusted space, for 3,000 small functions run 30 times each; but bytecode
  // compiled on the program's thread is sampled (Node 22 and 24), and so is Sparkplug's code on Node 20
  // and 22. Their used size is read at each load's start and end (about 1 us a read), and the analysis
  // counts it in the proportion the samples leave unexplained (build-report.ts).
  const isUnsampledSpace = (name: string): boolean => !name.startsWith('shared') && (name.includes('code') || name.includes('trusted'));
  const unsampledSpaces = v8.getHeapSpaceStatistics().map((space) => space.space_name).filter(isUnsampledSpace);
  const unsampledBytes = (): number => {
    let sum = 0;
    for (const space of v8.getHeapSpaceStatistics()) if (isUnsampledSpace(space.space_name)) sum += space.space_used_size;
    return sum;
  };
  post('HeapProfiler.enable');
  const agentBuiltins = builtinsLoadedSince(loadedBefore);
  collectGarbage();
  const baselineBytes = process.memoryUsage().heapUsed;
  const spaces = (): Record<string, number> =>
    Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]));
  const spacesAtBaseline = spaces();
  // The folder the program started in: what names are relative to, whatever it chdir()s to later.
  const cwd = process.cwd();
  const stream = eventStream.openEventStream(ctx, file('.events'), {
    schema: 'importcost-events@1',
    process: self,
    node: process.version,
    cwd,
    startedAt: perfHooks.performance.timeOrigin + t0,
    baselineBytes,
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
  });
  const sampler = sampler_.startSampler(config, post);
  const cjsHooks = cjsHooks_.installCjsHooks(ctx, unsampledBytes, settledHeap, stream);
  const cjs = cjsHooks.records;

  // ESM bodies (--esm-evaluation): the load hooks append a line to each module's source that calls this
  // when the body has run (evaluationMark). Its time, in epoch ms, closes the module's evaluation.
  const evaluated: [string, number][] = [];
  const markEvaluation = config.esmEvaluation === true;
  if (markEvaluation) {
    Object.defineProperty(globalThis, Symbol.for(evaluation.EVALUATED_KEY), {
      value: (moduleUrl: unknown): void => {
        if (!ctx.done && typeof moduleUrl === 'string') evaluated.push([moduleUrl, perfHooks.performance.timeOrigin + now()]);
      },
      configurable: true,
    });
  }
  const esm = esmLoaderHooks.startEsmHooks(ctx, () => {
    const t = (ctx.lastActivityMs = now());
    if (t >= stream.nextFlushMs) stream.flush();
  });
  stream.attach(cjs, esm.drain);
  cjsHooks.esmWindows = esm.windows;
  // `importcost defer` only, and required only then: stand-ins for the named packages (installed after the
  // hooks above, so that a stand-in's real load goes through them and is recorded).
  const deferHooks = config.defer
    ? (require('./defer-hooks.cjs') as typeof import('./defer-hooks.cjs')).installDeferHooks(ctx, config.defer, file('.defer-record.json'))
    : null;
  // V8 flags are set only now, after Node 20's hooks thread has started: a worker started after a flag
  // changes boots about 22 ms slower (V8's flag hash no longer matches its cached code), and the program
  // waits for that thread. Measured on Node 20, register() from a preload, 5 runs each: 23.7-33.1 ms
  // with no flag changed, 46.9-50.6 ms after either of these. (The sampler, running since before the
  // hooks, takes its first few samples at random points: the agent's own, while it registers them.)
  // Exact mode keeps bytecode as the ground truth does (--no-flush-bytecode): its GCs at every load
  // boundary would otherwise age and flush earlier modules' bytecode in the middle of the run.
  if (config.exact) v8.setFlagsFromString('--no-flush-bytecode');
  // Deterministic sampling (a sample every `interval` bytes instead of at Poisson-distributed points)
  // has less spread but can stay in phase with an allocation pattern; see DEFAULTS.sampling. V8 reads
  // the flag at every sample.
  if (config.deterministic && config.sampler !== 'none') v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness');
  // Any V8 flag changed from its default makes V8 reject the code cache built into Node for its own
  // modules (the cache records a hash of the flags: v8.cachedDataVersionTag()), so every built-in the
  // program then requires is compiled from source. Setting the flag back restores the hash. So the flag
  // is unset for the length of each built-in's first load and set again after it. Measured on Node 20,
  // 30 built-ins required in a row: 10.4 ms with no flag changed, 28-30 ms after a change, 7.7 ms after
  // a change undone. On the 2,187-module bench app its 31 built-in loads now take 7.4-9.2 ms in all,
  // against 15-17 ms before and 7.8-9.3 ms in plain node (timed there by a bare Module._load wrapper;
  // 3 runs each), so their load times read as the program's.
  // A sample taken inside that window spaces the next one at random instead of exactly one interval on:
  // the mean spacing, and so the weights, stay the same, but the sampling phase then differs from run to
  // run (the real-deps app in the clean room, 4 runs: fastify 1.85-2.01 MB, the same 1.94 MB every run
  // without). So only where it pays: where this process's tag is the one the CLI read from its own node
  // started with no flags (bin/importcost.js), so the same node with none (a V8 flag of the program's
  // own already rules the cache out: --single-threaded, for one), and not in --exact, which also keeps
  // bytecode for the whole run.
  cjsHooks.builtinCodeCache = config.deterministic && config.sampler !== 'none' && !config.exact && config.codeCacheTag === codeCacheTag;

  // ---- when to stop -------------------------------------------------------------------------
  let listen: RecordingListen | null = null;
  const stopWatch = stopConditions.watchForStop(
    ctx,
    () => esm.poll(),
    () => cjsHooks.entryDoneMs() !== null || esm.count() > 0 || cjs.length > 0,
    (viaCluster, address) => {
      listen = { atMs: now() - t0, viaCluster, ...address };
      stream.record(['l', listen.atMs, viaCluster, address]);
    },
  );
  ctx.finish = finish;

  function finish(reason: StopReason, exitCode: number | null): void {
    if (ctx.done) return;
    ctx.done = true;
    const atMs = now();
    stopWatch.clear();
    let raw: RawProfile | null = null;
    let endBytes = 0;
    let spacesAtEnd = spacesAtBaseline;
    /** Whose full GC the end of the heap was read after: the sampler's own, or one the agent ran. */
    let endGc: 'sampler' | 'agent' = 'agent';
    let error = stopWatch.crashError();
    // Everything but the heap goes out first: the CLI reads it and builds most of the report while the
    // profile is read (about 125 ms on the 2,187-module bench app: the GC, V8 translating the samples,
    // the inspector's JSON). It is written from a function of its own, whose frame is gone before the GC:
    // written from this one, the interpreter's register that held the modules kept them alive through the
    // GC (0.8 MB of arrays on that app, found in a heap snapshot), and they counted in the heap at the end.
    stream.flush();
    if (writeModulesPart()) stream.record(['modules']);
    try {
      if (sampler.collectsGarbage && !config.exact) {
        // The inspector's stopSampling runs a full GC of its own before it reads the samples (V8's
        // kSamplingForceGC, on every Node version). The heap is read at that GC instead of after one more
        // of ours: on the 2,187-module bench app each full GC costs about 30 ms (0.035x of plain start-up).
        const gcs = new v8.GCProfiler();
        gcs.start();
        raw = sampler.stop();
        const full = gcs.stop().statistics.filter((entry) => entry.gcType === 'MarkSweepCompact').pop();
        if (full) {
          endBytes = full.afterGC.heapStatistics.usedHeapSize;
          spacesAtEnd = Object.fromEntries(full.afterGC.heapSpaceStatistics.map((space) => [space.spaceName, space.spaceUsedSize]));
          endGc = 'sampler';
        }
      }
      if (endGc === 'agent') {
        collectGarbageAtEnd();
        endBytes = process.memoryUsage().heapUsed;
        spacesAtEnd = spaces();
        // (Already stopped above if the sampler's own GC went unseen: the profile then counts in endBytes.)
        raw ??= sampler.stop();
      }
    } catch (err) {
      error ??= `importcost: could not read the heap profile: ${String(err)}`;
    }
    // After the heap was read, so that what they keep is not counted.
    deferHooks?.atStop(config.defer?.probe.length ? esm.read() : []);
    cjsHooks.trampolines.fns.length = 0;
    esm.trampolines.fns.length = 0;
    const profile = raw === null ? null : sampler_.flatten(raw.head, raw.samples, raw.lineBase);
    const rest: RecordingHeap = {
      stop: { reason, atMs: atMs - t0, exitCode, error },
      heap: {
        baselineBytes,
        endBytes,
        unsampledSpaces,
        spacesAtBaseline,
        spacesAtEnd,
        endGc,
      },
      profile,
    };
    const schema: Recording['schema'] = 'importcost-recording@1';
    if (writer.writeAtomically(file('.heap.json'), JSON.stringify({ schema, ...rest }))) stream.record(['done', reason]);
    // Which directly imported packages start-up called into (profile's defer candidates): after the heap
    // part, so the CLI builds the report meanwhile (on the bench's 2,187-module app this takes 0.14-0.24 s,
    // about half of it V8's coverage). Not in the measured runs of defer (sampler none), which prove it.
    if (config.sampler !== 'none' && config.startupUse !== false) {
      const use = startupUse.readStartupUse(post, (nodeModule as unknown as { _cache: Record<string, never> })._cache);
      if (use !== null) writer.writeAtomically(file('.startup-use.json'), JSON.stringify(use));
    }
    stream.close();
  }

  /** Write RecordingModules to its file; nothing it builds outlives the call (see finish). */
  function writeModulesPart(): boolean {
    return writer.writeAtomically(file('.modules.json'), JSON.stringify(readModules()));
  }

  /** What the run recorded, but the heap. */
  function readModules(): RecordingModules {
    return {
      schema: 'importcost-recording@1',
      node: process.version,
      pid: process.pid,
      process: self,
      listen,
      argv: process.argv,
      cwd,
      startedAt: perfHooks.performance.timeOrigin + t0,
      timeOrigin: perfHooks.performance.timeOrigin,
      sampler: config.sampler,
      sampleInterval: config.sampleInterval,
      sampling: config.deterministic ? 'deterministic' : 'poisson',
      trampolinePrefix: cjsHooks_.TRAMPOLINE_PREFIX,
      trampolineBatch: trampolines.TRAMPOLINE_BATCH,
      hookTrampolinePrefix: esmLoaderHooks.HOOK_TRAMPOLINE_PREFIX,
      hookOwners: esm.hookOwners,
      agentBuiltins,
      agentUrl: AGENT_URL,
      entryDoneMs: cjsHooks.entryDoneMs() === null ? null : cjsHooks.entryDoneMs()! - t0,
      cjs: cjs.map((tuple) => [tuple[0], tuple[1], tuple[2], tuple[3] - t0, tuple[4] - t0, tuple[5], tuple[6], tuple[7], tuple[8], tuple[9]]),
      exact: config.exact,
      esm: esm.read(),
      esmTruncated: esm.truncated(),
      esmHooks: esm.thread,
      esmEvaluated: evaluated,
      imports: cjsHooks.importGraph(),
    };
  }
}

/** The public builtins (`stream`, `v8`, `worker_threads`...) loaded after the first `count` modules: the agent's. */
function builtinsLoadedSince(count: number | undefined): string[] {
  const list = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  const names: string[] = [];
  for (const entry of list.slice(count ?? list.length)) {
    if (entry.startsWith('NativeModule ') && !entry.startsWith('NativeModule internal/')) names.push(entry.slice('NativeModule '.length));
  }
  return names;
}

/**
 * Where V8 aborts (out of memory, a fatal error), nothing of the agent's runs; Node can still write its
 * diagnostic report, which names the event and gives the heap at that moment. It goes into the CLI's
 * folder. Left alone where the program has set reports up itself. (A process's setting: main thread only.)
 */
function fatalReport(threadId: number, dir: string, filename: string): void {
  const report = process.report;
  if (threadId !== 0 || !report || report.reportOnFatalError || report.directory !== '' || report.filename !== '') return;
  report.directory = dir;
  report.filename = filename;
  report.reportOnFatalError = true;
}

export = { main };
