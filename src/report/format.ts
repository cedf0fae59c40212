/**
 * The importcost report (`<name>.importcost.json`): the contract every other command and outside tool
 * reads. Types only. Fields marked "contract" keep their names and meaning across versions; a change
 * that breaks one bumps the schema version. The JSON Schema in schema/importcost-report.schema.json
 * is checked against these types by test/report-schema.test.ts.
 */

/**
 * @2 (importcost 0.2): every report is of one process or thread (`process`); the main one lists them all
 * (`processes`); `stop.reason` gained the ways a process can end before its recording is whole (killed,
 * out-of-memory, watchdog, terminated), and such a report's heap is its last reading (`totals.heap`),
 * with no attribution (the `unknown` bucket). @1 reports are read as @2 (report/read-report.ts).
 */
export const REPORT_SCHEMA = 'importcost-report@2';

export type ModuleKind = 'cjs' | 'esm' | 'builtin' | 'json' | 'addon' | 'wasm';
/**
 * Why the recording stopped. The agent's own: exit, listening, idle, timeout, signal (caught), crash (an
 * uncaught exception, then exit). Seen from outside, when the process ended before its agent could write
 * the heap (@2): killed (a signal it could not catch, such as SIGKILL), out-of-memory (V8 aborted on its
 * heap limit), watchdog (it did not finish within --timeout and importcost stopped it), terminated (a
 * worker thread ended by its program, or by its process's exit).
 */
export type StopReason =
  | 'exit'
  | 'listening'
  | 'idle'
  | 'timeout'
  | 'signal'
  | 'crash'
  | 'killed'
  | 'out-of-memory'
  | 'watchdog'
  | 'terminated';

/** What a process or thread is to the command that was profiled (@2). */
export type ProcessRole =
  /** The first Node process the command ran that is not a package manager's or a runner's own. */
  | 'main'
  /** Started by another profiled process of the program (child_process spawn, fork, exec). */
  | 'child'
  /** A worker of Node's cluster module. */
  | 'cluster-worker'
  /** A worker thread (worker_threads): a heap of its own in its process. */
  | 'worker-thread'
  /** A package manager's or runner's own process (npm, npx, pnpm, yarn, tsx...): it only starts the program. */
  | 'launcher';

/** Which process or thread a report is of (@2). */
export interface ReportProcess {
  /** contract */
  pid: number;
  /** contract: the parent process's pid (for a worker thread, the same as pid's parent). */
  ppid: number;
  /** contract: 0 for a process's main thread. */
  threadId: number;
  /** contract */
  role: ProcessRole;
  /** A name for people and file names: `main`, `cluster-worker-2`, `worker-thread-1`, `launcher-npm`... */
  label: string;
  /** contract: process.argv as the process saw it (empty for a worker thread). */
  argv: string[];
  /** The package manager or runner, for a launcher. */
  launcher: string | null;
  /** pid and thread of the profiled process or thread that started this one, or null. */
  parent: { pid: number; threadId: number } | null;
  /**
   * A server's first listen(): ms after its start, where (port and host, or a pipe's path; null where not
   * known), and viaCluster: a cluster primary's, on its workers' behalf. Null when it did not listen.
   */
  listen: { atMs: number; viaCluster: boolean; port: number | null; host: string | null; path: string | null } | null;
}

/** One line of the main report's list of every process and thread (@2). */
export interface ReportProcessSummary extends ReportProcess {
  /** The report's file name, in the same folder. */
  file: string;
  heapBytes: number;
  /** How heapBytes was read (see Report.totals.heap). */
  heap: 'end-of-startup' | 'last-reading';
  modules: number;
  wallMs: number;
  stopReason: StopReason;
  /** What its module loads retained (totals.attributedBytes). */
  attributedBytes: number;
  /** Path of its first module (a worker thread's script, a process's entry), or null. */
  entry: string | null;
}

export interface ReportPackage {
  name: string;
  version: string;
}

export interface ImportSite {
  /** Absolute path of the importing file. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /**
   * Where the import stands in the original source, when the importing file is compiled (tsc, swc) or
   * bundled with a source map: the `.ts` file and line. Reporters show this one. Absent otherwise.
   */
  original?: { file: string; line: number; column: number };
}

export interface ReportModule {
  /** contract: index into `modules`, in load order. */
  id: number;
  /** contract: absolute path, `node:<name>` for builtins, or the URL for other schemes. */
  path: string;
  /** contract */
  kind: ModuleKind;
  /** contract: the package the file belongs to (for the app's own files, the app's package), or null. */
  package: ReportPackage | null;
  /** contract: id of the module that first loaded this one; null for the entry (and other roots). */
  parent: number | null;
  /** contract: where the require/import that first loaded it stands; null when not known. */
  site: ImportSite | null;
  /** contract: retained bytes allocated by this module's own load (after a forced GC at the end). */
  selfBytes: number;
  /** contract: selfBytes plus the totalBytes of the modules it loaded first. */
  totalBytes: number;
  /**
   * What not loading this module at start-up would save: its selfBytes plus those of every module that
   * each import path from the entry reaches only through it (the modules it dominates in the import
   * graph). At most totalBytes; less when something else imports what it loaded first. Written since
   * importcost 0.1.0's import-graph change; absent in older reports.
   */
  exclusiveBytes?: number;
  /** Ids of every module it imports (require or import, first loads and repeats), ascending. Absent in older reports. */
  imports?: number[];
  /**
   * contract: wall ms of this load, less the loads nested in it. ESM: fetching the source plus
   * evaluating the body (evaluationMs), when the run saw the body end.
   */
  selfMs: number;
  /**
   * ESM only: wall ms of evaluating the module's body, CommonJS loads it made left out. Absent when the
   * body never finished (it threw, or the run stopped first) and in reports from before it was measured.
   */
  evaluationMs?: number;
  /** contract: wall ms from the start to the end of this load, nested loads included. */
  totalMs: number;
  /** contract: ms from the agent's start to the start of this load. */
  startMs: number;
  /** Short display name: `express@5.1.0`, `express@5.1.0/lib/router.js`, `./src/db.js`, `node:http`. */
  name: string;
  /** false when the module is outside node_modules (the app's own code). */
  thirdParty: boolean;
  /** false when the load threw. */
  ok: boolean;
  /**
   * Part of selfBytes that was charged by estimate rather than by stack: ESM source text and compiled
   * code are allocated in Node's loader with no user frame, and are shared out by source size.
   */
  estimatedBytes: number;
  /**
   * A file inside a bundle, found through the bundle's source map: the bundle's module id. `path` is the
   * original file. Its load is not timed (selfMs 0: the bundle's load time holds it), and its bytes are
   * what ran while it initialised, not the bundle's text (the bundle's own selfBytes). Absent otherwise.
   */
  bundle?: number;
  /** A compiled file with a source map of its own source (tsc, swc): that source (`name` uses it). Absent otherwise. */
  source?: string;
  /**
   * Part of selfBytes measured outside the sampler: the growth of V8's code spaces (compiled code) and,
   * on V8 12+ / Node 22+, its trusted spaces (bytecode) during the load, counted in the proportion the
   * samples did not already see (sampling.unsampledBytes against sampling.unsampledMeasuredBytes).
   */
  unsampledBytes: number;
}

/** Heap that no module load allocated, by cause. They add up: heapBytes = attributed + Σ buckets. */
export type BucketName =
  /** The Node runtime before the program's first line (bootstrap, and the agent's own start). */
  | 'baseline'
  /** The agent's bookkeeping (load records, trampolines). Not there without importcost. */
  | 'agent'
  /** Allocated by the program's code outside any module load (timers, callbacks, after start-up). */
  | 'after-startup'
  /** Node internals with no program frame on the stack. */
  | 'runtime'
  /** ESM loader work that could not be charged to any ESM module. */
  | 'esm-loader'
  /**
   * The ESM loader's first use (its code paths compiled, its caches started), measured in a fresh process
   * of the same Node: no import's cost, since deferring the first would hand it to the next. Added in 0.1.
   */
  | 'esm-first-use'
  /** Node stripping the types of .ts/.mts/.cts files (Node 22.18+), its stripper's start included: no package's cost. */
  | 'type-stripping'
  /** The process ended before its heap profile was read: its last heap reading, less the baseline, unattributed (@2). */
  | 'unknown'
  /** heapBytes less the baseline and the sampled estimate: sampling error, and baseline objects freed during the run (signed). */
  | 'sampling-residual';

export interface ReportBucket {
  name: BucketName;
  bytes: number;
  description: string;
}

export interface Report {
  /** contract */
  schema: typeof REPORT_SCHEMA;
  /** contract: version of importcost that wrote it. */
  importcost: string;
  /** contract: process.version of the target. */
  node: string;
  /** contract: the command as the user gave it (node and flags included when given). */
  command: string[];
  /** contract */
  cwd: string;
  /** ISO time the run started. */
  createdAt: string;
  /**
   * Where importcost's ESM hooks ran. `off-thread` (Node before 22.15): Node resolved the imports on the
   * hooks' thread and kept its resolution and package.json caches there, so ES modules read low by
   * those caches (measured: 1 MB over 458 ES modules, about 2 kB each). Absent in older reports.
   */
  esmHooks?: 'in-thread' | 'off-thread';
  /** contract */
  stop: { reason: StopReason; exitCode: number | null; error: string | null; signal: string | null };
  /** contract (@2): the process or thread this report is of. */
  process: ReportProcess;
  /**
   * @2, the main report only: every process and thread the command ran that loaded the agent, this one
   * included, in the order they started.
   */
  processes?: ReportProcessSummary[];
  /** contract: all bytes; heapBytes = attributedBytes + unattributedBytes. */
  totals: {
    heapBytes: number;
    attributedBytes: number;
    unattributedBytes: number;
    /** Runtime baseline, part of unattributedBytes: heap before the program's first line. */
    baselineBytes: number;
    /**
     * contract (@2): how heapBytes was read. `end-of-startup`: after a full GC when the recording
     * stopped. `last-reading`: the process ended first (killed, out of memory, blocked): heapBytes is its
     * last reading as it ran (no GC; at `heapAtMs`), and nothing of it is attributed.
     */
    heap: 'end-of-startup' | 'last-reading';
    /** ms after the start of that reading. */
    heapAtMs: number;
    wallMs: number;
    modules: number;
    packages: number;
  };
  /** How the heap was sampled. */
  sampling: {
    /** `none`: no samples were taken (importcost defer and fit measure the heap only). */
    sampler: 'inspector' | 'v8-profiler-next' | 'none';
    /** Bytes between samples (the mean, with poisson sampling). */
    intervalBytes: number;
    mode: 'deterministic' | 'poisson';
    /** Live samples at the end (0 from v8-profiler-next, which does not list them). */
    samples: number;
    /** The live samples' bytes, each weighed for the sampling mode (deterministic: max(size, interval)): attributed + agent + after-startup + runtime + esm-loader. */
    sampledBytes: number;
    /** Bytes measured outside the sampler (V8's code and trusted spaces), attributed to modules. */
    unsampledBytes: number;
    /**
     * The code and trusted spaces' whole measured growth. V8 samples part of it (what the program's thread
     * allocates, which varies by version); unsampledBytes counts it in the proportion of the heap's
     * growth the samples leave unexplained. Absent in older reports.
     */
    unsampledMeasuredBytes?: number;
    /**
     * Exact mode (--exact): each CommonJS load's selfBytes is measured (heapUsed after two full GCs at its
     * start and end, nested loads subtracted), not sampled; ESM modules are still sampled.
     */
    exact: boolean;
  };
  buckets: ReportBucket[];
  /** contract */
  modules: ReportModule[];
  /** One line each: what importcost could not do as usual (a source map it could not use). Absent when none. */
  notes?: string[];
  /**
   * Each bundle with a source map: its text by where it came from, in characters of compiled code as the
   * map sizes it (information about size: the text is the bundle's own, whatever is deferred inside it).
   * Absent when the run loaded no bundle.
   */
  bundles?: {
    /** The bundle's module id. */
    module: number;
    /** The map's path, or `inline`. */
    map: string;
    /** Original files the map names. */
    sources: number;
    /** Of those, how many the run showed running (modules with `bundle` set to this one). */
    modules: number;
    textChars: number;
    byPackage: { name: string; chars: number }[];
    /** The bundler's own code and what maps to no file. */
    unmappedChars: number;
  }[];
  /**
   * Which modules the program's own files import from packages start-up called into: each one's exported
   * functions and classes, and those that ran, from V8's best-effort coverage read at the stop point,
   * after the heap (no instrumentation while the program runs). Node 22+ only (Node 20's coverage reports
   * a function called once as not run); absent elsewhere and in older reports.
   */
  startupUse?: ReportStartupUse[];
}

/** One module the program's own code imports from a package, and what of its API start-up called. */
export interface ReportStartupUse {
  /** Id of the module in `modules`. */
  module: number;
  /** Exported functions and classes looked at (the export itself when it is one, and its own properties). */
  apiFunctions: number;
  /** The export names of those that ran during start-up (`default`: the export itself). */
  called: string[];
}
