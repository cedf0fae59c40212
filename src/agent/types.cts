/**
 * The types the agent's parts share (each part is a CommonJS file whose values go out through
 * `export =`, so its types live here). Types only: this file compiles to nothing the agent runs.
 */
import type { CjsLoadTuple, EsmEvent, EventRecord, ExportShape, Recording, StopReason, V8SamplingNode, V8SamplingProfile } from '../recording/format.js';

/** What the CLI passes in IMPORTCOST_AGENT (JSON). */
export interface AgentConfig {
  /**
   * The CLI's work folder. Each process or thread writes `<key>.events` (its event stream) there as it
   * runs, then `<key>.modules.json` (RecordingModules, before the profile is read, so the CLI can work on
   * it meanwhile) and `<key>.heap.json` (RecordingHeap).
   */
  dir: string;
  /** The CLI's pid: where a process's list of ancestors stops. */
  cliPid: number;
  sampleInterval: number;
  /** V8's --sampling-heap-profiler-suppress-randomness: a sample every interval bytes exactly. */
  deterministic: boolean;
  /** Exact mode: two full GCs and heapUsed at each CommonJS load's start and end (slow). */
  exact: boolean;
  /** Append a line to each ESM module's source that reports the end of its body's evaluation. */
  esmEvaluation?: boolean;
  stackDepth: number;
  /** `none`: no heap sampling, only loads, times and the heap after a full GC at the end (defer, fit). */
  sampler: 'inspector' | 'v8-profiler-next' | 'none';
  /** Directory of the v8-profiler-next package, when that backend is chosen. */
  v8ProfilerDir: string | null;
  until: 'auto' | 'exit' | 'listening' | 'idle' | number;
  settleMs: number;
  idleMs: number;
  timeoutMs: number;
  /** v8.cachedDataVersionTag() of the CLI's node, started with no flags: see where the sampling flag is set. */
  codeCacheTag?: number | null;
  /** `importcost defer` only (defer-hooks.cts); absent under `profile`, which then changes nothing. */
  defer?: DeferSettings;
  /** Read start-up's use of the packages the program imports at the stop point (startup-use.cts); default true. */
  startupUse?: boolean;
}

/**
 * What `importcost defer` asks of the agent in one run. The runs as it is get the same settings as the
 * deferred ones but for `packages` (empty), so that both carry the same agent code and data, and the
 * difference between their heaps is the program's.
 */
export interface DeferSettings {
  /** Packages whose imports in the program's own files are made lazy in this run. */
  packages: string[];
  /** Every package under test: the program's own requires of them go through the same hook in every run. */
  watch: string[];
  /**
   * Packages whose exports' shapes are recorded at the stop point, for the stand-ins of later runs; `*`:
   * every package the program's own files import.
   */
  probe: string[];
  /** Export shapes by resolved file, from a probe run: what each stand-in must look like. */
  shapes: Record<string, ExportShape>;
  /**
   * Install the ESM hooks (in-thread, Node 22.15+) that defer the program's own imports of `packages`:
   * `import * as ns` becomes `import defer` (Node 26.4+), a named or default import takes a module of
   * stand-ins; with `packages` empty they rewrite nothing.
   */
  importDefer: boolean;
}

/** The defer hooks' part in the agent's run. */
export interface DeferHooks {
  /** At the stop point, after the heap was read: record the probed shapes (`esmEdges`: the ESM hooks' events), write the record. */
  atStop(esmEdges: readonly EsmEvent[]): void;
}

/** The agent's shared state in this process; every part reads `done` before it records anything. */
export interface AgentContext {
  readonly config: AgentConfig;
  /** performance.now() at the agent's start: recording times count from it. */
  readonly t0: number;
  now(): number;
  /** Epoch ms (performance.timeOrigin + now), as the off-thread ESM hooks stamp their events. */
  epoch(): number;
  /** true once finish() has begun: the hooks then pass every call straight through. */
  done: boolean;
  /** When a module last loaded (ms, now()): the idle rule waits for quiet after it. */
  lastActivityMs: number;
  /** Set by the stop conditions to the agent's finish. */
  finish: (reason: StopReason, exitCode: number | null) => void;
}

export interface TrampolineFamily {
  /** Script names are `<prefix><batch>`; the analysis reads the id back as batch * TRAMPOLINE_BATCH + line. */
  readonly prefix: string;
  /**
   * Every trampoline, by id. They stay alive until the profile is read: a collected one loses its frames'
   * url. Emptied once it has been read.
   */
  readonly fns: Function[];
  /** Make sure trampoline `id` exists (ids are asked for in order, from 0). */
  make(id: number): void;
}

export interface CjsHooks {
  /** One tuple a first load, in the order they began (times are now() ms, not yet relative to t0). */
  readonly records: CjsLoadTuple[];
  readonly trampolines: TrampolineFamily;
  /** now() ms when the entry's own load ended, or null. */
  entryDoneMs(): number | null;
  /** Whether a built-in's first load runs with the sampling flag unset, so V8 takes Node's code cache. */
  builtinCodeCache: boolean;
  /** Every CommonJS import edge, read from require.cache at the end (see importGraph). */
  importGraph(): NonNullable<Recording['imports']>;
  /** Told of each first load of a file, where the ESM hooks are in only while ES modules load (esm-windows.cts). */
  esmWindows: EsmWindows | null;
}

/** The windows in which the in-thread ESM hooks are in (esm-windows.cts), as the CommonJS hooks see them. */
export interface EsmWindows {
  /** A first load of `filename`, before it runs: whether it opened a window (it is an ES module). */
  before(filename: string): boolean;
  /** The same load, after it ran (`module` is its Module); `opened`, what `before` said. */
  after(filename: string, module: unknown, opened: boolean): void;
}

export interface EsmHooks {
  poll(): void;
  count(): number;
  read(): EsmEvent[];
  /** The events since the last call (the event stream's flushes). */
  drain(): EsmEvent[];
  truncated(): boolean;
  /** Where the hooks run: on the program's thread (module.registerHooks) or on their own (module.register). */
  thread: 'in-thread' | 'off-thread';
  /** By hook trampoline id: [url, parentURL] of the import it resolved, or [url, null] of the module it loaded. */
  hookOwners: [string, string | null][];
  /** The in-thread hooks' trampolines (kept alive until the profile is read). */
  trampolines: TrampolineFamily;
  /** Where the in-thread hooks are in only while ES modules load; null where they are in from the start. */
  windows: EsmWindows | null;
}

/** The profile as the sampler returns it, before flatten(). */
export interface RawProfile {
  head: V8SamplingNode;
  /** The live samples, where the sampler gives them (the inspector does). */
  samples: V8SamplingProfile['samples'] | null;
  /** What the sampler counts lines and columns from. */
  lineBase: number;
}

export interface Sampler {
  stop(): RawProfile | null;
  /** Whether stop() runs a full GC before it reads the samples (the inspector's does). */
  collectsGarbage: boolean;
}

export interface StopWatch {
  /** Cancel every timer (finish calls it). */
  clear(): void;
  /** `Name: message` of the first uncaught exception, or null. */
  crashError(): string | null;
}

/** The agent's running account to the CLI (event-stream.cts). */
export interface EventStream {
  /** ctx.now() ms at or after which the next load's end should flush. */
  nextFlushMs: number;
  /** Where the flushes read from: the CommonJS load tuples, and the ESM events since the last call. */
  attach(cjs: CjsLoadTuple[], drainEsm: () => EsmEvent[]): void;
  /** Write what is new since the last flush, and the heap's reading when the last one is older than a tick. */
  flush(): void;
  /** Flush, then write one record (a listen, a part of the recording on disk). */
  record(record: EventRecord): void;
  close(): void;
}
