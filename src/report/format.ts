/**
 * The importcost report (`<name>.importcost.json`): the contract every other command and outside tool
 * reads. Types only. Fields marked "contract" keep their names and meaning across versions; a change
 * that breaks one bumps the schema version. The JSON Schema in schema/importcost-report.schema.json
 * is checked against these types by test/report-schema.test.ts.
 */

export const REPORT_SCHEMA = 'importcost-report@1';

export type ModuleKind = 'cjs' | 'esm' | 'builtin' | 'json' | 'addon' | 'wasm';
export type StopReason = 'exit' | 'listening' | 'idle' | 'timeout' | 'signal' | 'crash';

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
  /** contract: all bytes; heapBytes = attributedBytes + unattributedBytes. */
  totals: {
    heapBytes: number;
    attributedBytes: number;
    unattributedBytes: number;
    /** Runtime baseline, part of unattributedBytes: heap before the program's first line. */
    baselineBytes: number;
    wallMs: number;
    modules: number;
    packages: number;
  };
  /** How the heap was sampled. */
  sampling: {
    sampler: 'inspector' | 'v8-profiler-next';
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
}
