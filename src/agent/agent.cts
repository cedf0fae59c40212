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
import type {
  CjsLoadTuple,
  EsmEvent,
  FlatSamplingProfile,
  Recording,
  RecordingHeap,
  RecordingModules,
  StopReason,
  V8SamplingNode,
  V8SamplingProfile,
} from '../recording/format.js';

import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');
import inspector = require('node:inspector');
import dc = require('node:diagnostics_channel');
import workerThreads = require('node:worker_threads');
import nodeModule = require('node:module');
import perfHooks = require('node:perf_hooks');
import url = require('node:url');
import v8 = require('node:v8');
import evaluation = require('./evaluation-mark.cjs');

/** What the CLI passes in IMPORTCOST_AGENT (JSON). */
interface AgentConfig {
  recording: string;
  /**
   * Where to write everything but the heap (RecordingModules), before the profile is read, so the CLI
   * can work on it while the profile is read and written to `recording` (RecordingHeap).
   */
  modules: string;
  sampleInterval: number;
  /** V8's --sampling-heap-profiler-suppress-randomness: a sample every interval bytes exactly. */
  deterministic: boolean;
  /** Exact mode: two full GCs and heapUsed at each CommonJS load's start and end (slow). */
  exact: boolean;
  /** Append a line to each ESM module's source that reports the end of its body's evaluation. */
  esmEvaluation?: boolean;
  stackDepth: number;
  sampler: 'inspector' | 'v8-profiler-next';
  /** Directory of the v8-profiler-next package, when that backend is chosen. */
  v8ProfilerDir: string | null;
  until: 'auto' | 'exit' | 'listening' | 'idle' | number;
  settleMs: number;
  idleMs: number;
  timeoutMs: number;
  /** File descriptor of the pipe to the CLI (it learns there that the recording is written), or -1. */
  fd: number;
  /** v8.cachedDataVersionTag() of the CLI's node, started with no flags: see where the sampling flag is set. */
  codeCacheTag?: number | null;
}

const TRAMPOLINE_PREFIX = 'importcost-load:';
/**
 * Trampolines of the in-thread ESM hooks (Node 22+): each first resolve of an import request and each
 * first load of an ES module runs Node's default step through one, so the work Node does there (resolving,
 * reading the package.json files on the way, fetching the source) names the module it was for.
 */
const HOOK_TRAMPOLINE_PREFIX = 'importcost-hook:';
/**
 * Trampolines compiled per script. One vm.compileFunction per load cost about 18 us (40 ms, 0.045x of
 * plain start-up, on the 2,187-module bench app); one per 256 loads costs next to nothing, and the
 * functions of a script are told apart by their line.
 */
const TRAMPOLINE_BATCH = 256;
const AGENT_URL = __filename;
/** What the CLI gives the target's `--require` (preload.cts): it loads this file on the main thread. */
const PRELOAD_FILE = path.join(__dirname, 'preload.cjs');
const ESM_HOOKS_FILE = path.join(__dirname, 'esm-hooks.mjs');
/** Bytes of the buffer the ESM hooks thread writes its events into (about 150 bytes an event). */
const ESM_BUFFER_BYTES = 32 * 1024 * 1024;

const configText = process.env.IMPORTCOST_AGENT;
if (configText !== undefined && workerThreads.isMainThread) {
  // Neither the target nor its children should see us: forked children would otherwise profile too.
  delete process.env.IMPORTCOST_AGENT;
  stripOwnExecArgv();
  start(JSON.parse(configText) as AgentConfig);
}

/** Remove `--require <preload>` from process.execArgv, so the target sees (and forks with) its own flags. */
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

function start(config: AgentConfig): void {
  const now = (): number => perfHooks.performance.now();
  const t0 = now();
  /** This process's V8 version, flags and CPU features, before the agent changes a flag. */
  const codeCacheTag = v8.cachedDataVersionTag();
  const session = new inspector.Session();
  session.connect();
  // An in-process session answers synchronously, even inside process.on('exit').
  const post = (method: string, params?: object): any => {
    let result: unknown;
    let failure: Error | null = null;
    session.post(method, params, (err, res) => {
      failure = err;
      result = res;
    });
    if (failure) throw failure;
    return result;
  };
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
  collectGarbage();
  const baselineBytes = process.memoryUsage().heapUsed;
  const spaces = (): Record<string, number> =>
    Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]));
  const spacesAtBaseline = spaces();
  const sampler = startSampler(config, post);

  const cjs: CjsLoadTuple[] = [];
  /** Whether a built-in's first load runs with the sampling flag unset, so V8 takes Node's code cache. */
  let builtinCodeCache = false;
  /** The request of the innermost Module._load call still running (consumed by the load it leads to). */
  let pendingRequest: string | null = null;
  /** Its requiring module's filename: the parent when no CJS load is on the stack (createRequire in ESM). */
  let pendingParentFile: string | null = null;
  /** Every trampoline stays alive until the profile is read: a collected one loses its frames' url. */
  const trampolines: Function[] = [];
  const hookTrampolines: Function[] = [];
  const loading: number[] = [];
  const seenFiles = new Set<string>();
  const seenBuiltins = new Set<string>();
  /** Builtin -> the files that required it again after its first load (the first is in its record). */
  const builtinImporters = new Map<string, Set<string>>();
  let done = false;
  let lastActivityMs = t0;
  let entryDoneMs: number | null = null;
  let crashError: string | null = null;

  /**
   * Load `id`'s trampoline: function `id % TRAMPOLINE_BATCH` of script `<prefix><batch>`, which starts on
   * that (0-based) line.
   */
  const makeTrampoline = (id: number, family = trampolines, prefix = TRAMPOLINE_PREFIX): void => {
    const slot = id % TRAMPOLINE_BATCH;
    if (slot === 0) {
      // In parentheses, so V8 compiles them now, here (the agent's bucket), and not lazily at their first
      // call, which would charge their bytecode to the module that made the load (measured: 0.5 MB over
      // the bench app's 2,187 loads moved from the modules to the agent bucket this way).
      const body = `return [${new Array(TRAMPOLINE_BATCH).fill('(function (f, t, a) { return f.apply(t, a); })').join(',\n')}];`;
      const batch = vm.compileFunction(body, [], { filename: prefix + id / TRAMPOLINE_BATCH })() as Function[];
      family.push(...batch);
    }
  };

  /**
   * A first load's record, opened before it runs through its trampoline and closed after. The callers
   * call the trampoline themselves rather than through a helper: every frame between two loads is walked
   * by V8 for every heap sample (about 0.2 us a frame, and the inspector walks up to 128), and the agent's
   * frames were a third of the walked frames on the bench's 2,000+-module app.
   */
  const openLoad = (pathOrName: string): CjsLoadTuple => {
    const id = cjs.length;
    const parent = loading.length > 0 ? loading[loading.length - 1]! : -1;
    // The request as the importer wrote it; its line is found in the importer's source after the run.
    // (Capturing a stack here would keep every importer's top-level function alive, and with it its
    // bytecode: measured +0.9 MB on @aws-sdk/client-s3. The agent must not change what stays alive.)
    const request = pendingRequest ?? '';
    const parentFile = parent === -1 ? (pendingParentFile ?? '') : '';
    pendingRequest = null;
    // Slot 7 holds the unsampled spaces' size at the start until closeLoad turns it into the growth.
    const tuple: CjsLoadTuple = [id, pathOrName, parent, now(), 0, false, request, 0, parentFile, -1];
    cjs.push(tuple);
    makeTrampoline(id);
    loading.push(id);
    if (config.exact) tuple[9] = settledHeap();
    tuple[7] = unsampledBytes();
    return tuple;
  };
  const closeLoad = (tuple: CjsLoadTuple): void => {
    tuple[7] = unsampledBytes() - tuple[7];
    if (config.exact) tuple[9] = settledHeap() - tuple[9];
    loading.pop();
    tuple[4] = lastActivityMs = now();
    if (tuple[2] === -1 && tuple[0] === 0) entryDoneMs = tuple[4];
  };

  // CommonJS files (.js, .cjs, .json, .node, and require(esm)): Module.prototype.load runs once per
  // first load, with the resolved filename, and covers reading, compiling and evaluating.
  const Module = nodeModule as unknown as {
    prototype: { load: (this: unknown, filename: string) => unknown };
    _load: (this: unknown, request: unknown, parent: unknown, isMain: boolean) => unknown;
  };
  // The wrappers' own frames name no owner (what Node does inside them is the program's), so what they
  // keep for the agent is kept from within functions of the agent's own (firstFile, firstBuiltin, and the
  // ESM hooks' helpers), whose frames put it in the agent bucket; else a Set's growth is charged to the
  // module whose require made it.
  const firstFile = (filename: string): boolean => {
    if (seenFiles.has(filename)) return false;
    seenFiles.add(filename);
    return true;
  };
  /** `node:<x>` on a builtin's first require; on a later one, notes its importer and gives null. */
  const firstBuiltin = (request: string, parentFile: unknown): string | null => {
    const name = request.startsWith('node:') ? request : `node:${request}`;
    if (!seenBuiltins.has(name)) {
      seenBuiltins.add(name);
      builtinImporters.set(name, new Set());
      return name;
    }
    // A builtin required again: its importer is one more edge of the import graph (deferral savings).
    if (typeof parentFile === 'string') builtinImporters.get(name)?.add(parentFile);
    return null;
  };
  const originalLoad = Module.prototype.load;
  Module.prototype.load = function importcostLoad(this: unknown, filename: string): unknown {
    if (done || !firstFile(filename)) return originalLoad.apply(this, arguments as never);
    const tuple = openLoad(filename);
    try {
      const result = trampolines[tuple[0]]!(originalLoad, this, arguments);
      tuple[5] = true;
      return result;
    } finally {
      closeLoad(tuple);
    }
  };
  // Every require: note the request for the load it may lead to. Builtins: the first require of each
  // runs through a trampoline named node:<x>.
  const originalModuleLoad = Module._load;
  Module._load = function importcostModuleLoad(this: unknown, request: unknown, parentModule: unknown): unknown {
    if (done || typeof request !== 'string') return originalModuleLoad.apply(this, arguments as never);
    const parentFile = (parentModule as { filename?: unknown } | null)?.filename;
    if (nodeModule.isBuiltin(request)) {
      const name = firstBuiltin(request, parentFile);
      if (name !== null) {
        pendingRequest = request;
        pendingParentFile = typeof parentFile === 'string' ? parentFile : null;
        const tuple = openLoad(name);
        if (builtinCodeCache) v8.setFlagsFromString('--no-sampling-heap-profiler-suppress-randomness');
        try {
          const result = trampolines[tuple[0]]!(originalModuleLoad, this, arguments);
          tuple[5] = true;
          return result;
        } finally {
          if (builtinCodeCache) v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness');
          closeLoad(tuple);
        }
      }
      return originalModuleLoad.apply(this, arguments as never);
    }
    const outerRequest = pendingRequest;
    const outerParent = pendingParentFile;
    pendingRequest = request;
    pendingParentFile = typeof parentFile === 'string' ? parentFile : null;
    try {
      return originalModuleLoad.apply(this, arguments as never);
    } finally {
      pendingRequest = outerRequest;
      pendingParentFile = outerParent;
    }
  };

  // ESM bodies (--esm-evaluation): the load hooks append a line to each module's source that calls this
  // when the body has run (evaluationMark). Its time, in epoch ms, closes the module's evaluation.
  const evaluated: [string, number][] = [];
  const markEvaluation = config.esmEvaluation === true;
  if (markEvaluation) {
    Object.defineProperty(globalThis, Symbol.for(evaluation.EVALUATED_KEY), {
      value: (moduleUrl: unknown): void => {
        if (!done && typeof moduleUrl === 'string') evaluated.push([moduleUrl, perfHooks.performance.timeOrigin + now()]);
      },
      configurable: true,
    });
  }
  const esm = startEsmHooks(() => {
    lastActivityMs = now();
  });
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
  if (config.deterministic) v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness');
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
  builtinCodeCache = config.deterministic && !config.exact && config.codeCacheTag === codeCacheTag;

  // ---- when to stop -------------------------------------------------------------------------
  const until = config.until;
  const timers: NodeJS.Timeout[] = [];
  const stopAfter = (ms: number, reason: StopReason): void => {
    timers.push(setTimeout(() => finish(reason, null), ms).unref());
  };
  stopAfter(typeof until === 'number' ? until : config.timeoutMs, 'timeout');
  if (until === 'auto' || until === 'listening') {
    dc.subscribe('tracing:net.server.listen:asyncEnd', function onListen(): void {
      dc.unsubscribe('tracing:net.server.listen:asyncEnd', onListen);
      stopAfter(config.settleMs, 'listening');
    });
  }
  if (until === 'auto' || until === 'idle') {
    // Idle: the entry has run, and for idleMs no module was loaded while the loop was mostly idle.
    let elu = perfHooks.performance.eventLoopUtilization();
    let quietSinceMs = now();
    const tick = setInterval(() => {
      const t = now();
      esm.poll();
      const next = perfHooks.performance.eventLoopUtilization();
      const busy = perfHooks.performance.eventLoopUtilization(next, elu).utilization > 0.5;
      elu = next;
      if (busy || lastActivityMs > quietSinceMs) quietSinceMs = Math.max(lastActivityMs, busy ? t : 0);
      if (t - quietSinceMs >= config.idleMs && (entryDoneMs !== null || esm.count() > 0 || cjs.length > 0)) {
        finish('idle', null);
      }
    }, Math.max(20, Math.min(200, config.idleMs / 5)));
    tick.unref();
    timers.push(tick);
  }

  process.on('uncaughtExceptionMonitor', (err) => {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    crashError ??= text;
  });
  process.on('exit', (code) => finish(crashError === null ? 'exit' : 'crash', code));
  // On a signal: write the profile, then let the signal do what it would have done. If the target
  // listens for it itself, its own handler decides; otherwise re-raise it with the default action.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      finish('signal', null);
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }

  /**
   * Every CommonJS import edge, read once at the end: Node keeps each module's `children`, first loads
   * and repeat requires alike, in require.cache. Rows are [importer, ...imported]. Builtins come from the
   * repeat requires noted in Module._load.
   */
  function importGraph(): Recording['imports'] {
    // Files the CJS records know are written as their load id (a number), others by path.
    const idOf = new Map<string, number>();
    for (const tuple of cjs) if (!idOf.has(tuple[1])) idOf.set(tuple[1], tuple[0]);
    const ref = (file: string): string | number => idOf.get(file) ?? file;
    const cjsRows: (string | number)[][] = [];
    try {
      const cache = (nodeModule as unknown as { _cache: Record<string, { children?: { filename?: unknown }[] } | undefined> })._cache;
      for (const filename of Object.keys(cache)) {
        const children = cache[filename]?.children;
        if (!Array.isArray(children) || children.length === 0) continue;
        const row = [ref(filename)];
        for (const child of children) if (typeof child?.filename === 'string') row.push(ref(child.filename));
        if (row.length > 1) cjsRows.push(row);
      }
    } catch {
      // A program that replaced require.cache: the graph is the first-load tree only.
    }
    const builtinRows: (string | number)[][] = [];
    for (const [name, importers] of builtinImporters) for (const file of importers) builtinRows.push([ref(file), ref(name)]);
    return { cjs: cjsRows, builtins: builtinRows };
  }

  function finish(reason: StopReason, exitCode: number | null): void {
    if (done) return;
    done = true;
    const atMs = now();
    for (const timer of timers) clearTimeout(timer);
    let raw: RawProfile | null = null;
    let endBytes = 0;
    let spacesAtEnd = spacesAtBaseline;
    /** Whose full GC the end of the heap was read after: the sampler's own, or one the agent ran. */
    let endGc: 'sampler' | 'agent' = 'agent';
    let error = crashError;
    // Everything but the heap goes out first: the CLI reads it and builds most of the report while the
    // profile is read (about 125 ms on the 2,187-module bench app: the GC, V8 translating the samples,
    // the inspector's JSON). It is written from a function of its own, whose frame is gone before the GC:
    // written from this one, the interpreter's register that held the modules kept them alive through the
    // GC (0.8 MB of arrays on that app, found in a heap snapshot), and they counted in the heap at the end.
    writeModulesPart();
    tellCli('modules');
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
    trampolines.length = 0;
    hookTrampolines.length = 0;
    const profile = raw === null ? null : flatten(raw.head, raw.samples, raw.lineBase);
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
    writeAtomically(config.recording, JSON.stringify({ schema, ...rest }));
    tellCli(`done ${reason}`);
  }

  /** Write RecordingModules to its file; nothing it builds outlives the call (see finish). */
  function writeModulesPart(): void {
    writeAtomically(config.modules, JSON.stringify(readModules()));
  }

  /** What the run recorded, but the heap. */
  function readModules(): RecordingModules {
    return {
      schema: 'importcost-recording@1',
      node: process.version,
      pid: process.pid,
      argv: process.argv,
      cwd: process.cwd(),
      startedAt: perfHooks.performance.timeOrigin + t0,
      timeOrigin: perfHooks.performance.timeOrigin,
      sampler: config.sampler,
      sampleInterval: config.sampleInterval,
      sampling: config.deterministic ? 'deterministic' : 'poisson',
      trampolinePrefix: TRAMPOLINE_PREFIX,
      trampolineBatch: TRAMPOLINE_BATCH,
      hookTrampolinePrefix: HOOK_TRAMPOLINE_PREFIX,
      hookOwners: esm.hookOwners,
      agentUrl: AGENT_URL,
      entryDoneMs: entryDoneMs === null ? null : entryDoneMs - t0,
      cjs: cjs.map((tuple) => [tuple[0], tuple[1], tuple[2], tuple[3] - t0, tuple[4] - t0, tuple[5], tuple[6], tuple[7], tuple[8], tuple[9]]),
      exact: config.exact,
      esm: esm.read(),
      esmTruncated: esm.truncated(),
      esmHooks: esm.thread,
      esmEvaluated: evaluated,
      imports: importGraph(),
    };
  }

  /** Written, then renamed: a reader never sees half a file. */
  function writeAtomically(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }

  function tellCli(line: string): void {
    if (config.fd < 0) return;
    try {
      fs.writeSync(config.fd, `${line}\n`);
    } catch {
      // The CLI is gone; the recording is on disk all the same.
    }
  }

  /** ESM: in-thread sync hooks where Node has them (22.15+), else off-thread hooks writing to shared memory. */
  function startEsmHooks(onActivity: () => void): {
    poll(): void;
    count(): number;
    read(): EsmEvent[];
    truncated(): boolean;
    /** Where the hooks run: on the program's thread (module.registerHooks) or on their own (module.register). */
    thread: 'in-thread' | 'off-thread';
    /** By hook trampoline id: [url, parentURL] of the import it resolved, or [url, null] of the module it loaded. */
    hookOwners: [string, string | null][];
  } {
    const registerHooks = (nodeModule as unknown as { registerHooks?: Function }).registerHooks;
    const hookOwners: [string, string | null][] = [];
    if (typeof registerHooks === 'function') {
      const events: EsmEvent[] = [];
      /**
       * parentURL -> what it has seen: the specifiers it resolved (requests) and the urls they gave (edges).
       * Keyed by the loader's own strings, so the agent keeps a set entry an import, not a new string.
       */
      const seenRequests = new Map<string | undefined, Set<string>>();
      const seenResolved = new Map<string | undefined, Set<string>>();
      const seenLoaded = new Set<string>();
      /** Whether `key` is new under `parent` in `seen`; notes it. */
      const firstUnder = (seen: Map<string | undefined, Set<string>>, parent: string | undefined, key: string): boolean => {
        let keys = seen.get(parent);
        if (keys === undefined) seen.set(parent, (keys = new Set()));
        if (keys.has(key)) return false;
        keys.add(key);
        return true;
      };
      /**
       * Run Node's own step through a trampoline of its own, noted as owner [url, parentURL] (url filled
       * in after a resolve). The hooks themselves name no owner (what Node does inside them is the
       * program's): what they keep for the agent is kept from the helpers below, agent frames all.
       */
      const throughTrampoline = (url: string, parentURL: string | null, next: Function, args: unknown[]): any => {
        const owner: [string, string | null] = [url, parentURL];
        const id = hookOwners.push(owner) - 1;
        makeTrampoline(id, hookTrampolines, HOOK_TRAMPOLINE_PREFIX);
        const result = hookTrampolines[id]!(next, undefined, args);
        if (parentURL !== null) owner[0] = (result as { url: string }).url;
        return result;
      };
      const noteResolve = (specifier: string, parentURL: string | undefined, result: { url: string; format?: string | null }): void => {
        if (!firstUnder(seenResolved, parentURL, result.url)) return;
        events.push({ t: 'r', url: result.url, parentURL, specifier, format: result.format });
        onActivity();
      };
      const noteLoad = (loadUrl: string, result: { format?: string | null; source?: unknown }, startMs: number | undefined): void => {
        seenLoaded.add(loadUrl);
        const source = result.source as string | ArrayBufferView | null | undefined;
        events.push({
          t: 'l',
          url: loadUrl,
          format: result.format,
          // (A require's time is its CommonJS load record's.)
          start: startMs,
          end: startMs === undefined ? undefined : epoch(),
          size: source == null ? undefined : typeof source === 'string' ? source.length : source.byteLength,
        });
        onActivity();
      };
      const epoch = (): number => perfHooks.performance.timeOrigin + now();
      // These hooks run for every require() too. A require's CommonJS load record already has what they
      // would note, so they pass it through, noting only an ES module's load (require(esm): its url names
      // its frames). Noting every require as well cost 0.05x on the 2,187-module bench app on Node 22.
      const isRequire = (context: { conditions?: readonly string[] }): boolean => context.conditions?.includes('require') === true;
      registerHooks({
        resolve(specifier: string, context: { parentURL?: string; conditions?: readonly string[] }, nextResolve: Function) {
          if (isRequire(context)) return nextResolve(specifier, context);
          if (done) return nextResolve(specifier, context);
          // An import request's first resolve does the work (its later ones hit Node's cache).
          const result = firstUnder(seenRequests, context.parentURL, specifier)
            ? throughTrampoline('', context.parentURL ?? null, nextResolve, [specifier, context])
            : nextResolve(specifier, context);
          noteResolve(specifier, context.parentURL, result);
          return result;
        },
        load(loadUrl: string, context: { conditions?: readonly string[] }, nextLoad: Function) {
          if (done || seenLoaded.has(loadUrl)) return nextLoad(loadUrl, context);
          const required = isRequire(context);
          const startMs = required ? undefined : epoch();
          // (A require's own CommonJS trampoline already names what runs inside it.)
          const result = required ? nextLoad(loadUrl, context) : throughTrampoline(loadUrl, null, nextLoad, [loadUrl, context]);
          if (required && result.format !== 'module') return result;
          noteLoad(loadUrl, result, startMs);
          const source = result.source as string | ArrayBufferView | null | undefined;
          if (markEvaluation && result.format === 'module' && loadUrl.startsWith('file:') && source != null) {
            return { ...result, source: evaluation.evaluationMark(source, loadUrl) };
          }
          return result;
        },
      });
      return { poll() {}, count: () => events.length, read: () => events, truncated: () => false, thread: 'in-thread', hookOwners };
    }
    // Node 20: module.register runs hooks on their own thread; they append JSON lines to a shared buffer.
    const shared = new SharedArrayBuffer(ESM_BUFFER_BYTES);
    const header = new Int32Array(shared, 0, 2);
    nodeModule.register(url.pathToFileURL(ESM_HOOKS_FILE).href, { data: { shared, markEvaluation } });
    let lastOffset = 0;
    return {
      thread: 'off-thread',
      hookOwners,
      poll() {
        const offset = Atomics.load(header, 0);
        if (offset !== lastOffset) {
          lastOffset = offset;
          onActivity();
        }
      },
      count: () => Atomics.load(header, 0),
      read() {
        const end = Atomics.load(header, 0);
        const text = new TextDecoder().decode(new Uint8Array(shared, 8, end));
        return text
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as EsmEvent);
      },
      truncated: () => Atomics.load(header, 1) !== 0,
    };
  }
}

/** The profile as the sampler returns it, before flatten(). */
interface RawProfile {
  head: V8SamplingNode;
  /** The live samples, where the sampler gives them (the inspector does). */
  samples: V8SamplingProfile['samples'] | null;
  /** What the sampler counts lines and columns from. */
  lineBase: number;
}

interface Sampler {
  stop(): RawProfile;
  /** Whether stop() runs a full GC before it reads the samples (the inspector's does). */
  collectsGarbage: boolean;
}

function startSampler(config: AgentConfig, post: (method: string, params?: object) => any): Sampler {
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
