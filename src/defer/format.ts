/**
 * `<name>.defer.json`, what `importcost defer` writes: for each package, what deferring its imports was
 * predicted to save, what it saved when the program ran that way, whether the program still started,
 * where the package was first used, and the change to make. A contract, like the report: types only,
 * fields marked "contract" keep their names and meaning across versions, a change that breaks one bumps
 * the schema version. schema/importcost-defer.schema.json is generated from these types
 * (`npm run schema`) and checked by test/defer-format.test.ts.
 */

/** @1 (importcost 0.1): the first version. */
export const DEFER_SCHEMA = 'importcost-defer@1';

/** Where in the program's own code: absolute path, 1-based line and column. */
export interface DeferSite {
  file: string;
  line: number;
  column: number;
}

/** A median with the spread of the values it was taken from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in run order. */
  values: number[];
}

/** How a run of the program ended, and whether it answered the request sent after start-up. */
export interface RunOutcome {
  /** The agent's stop reason in the main process (report `stop.reason`). */
  stopReason: string;
  /** What importcost's `profile` would exit with for this run: 0 when importcost stopped it after start-up. */
  exitCode: number;
  /** A server's answer to the request sent after start-up: its HTTP status, or null when none came (refused, reset, timed out). Absent when it did not listen. */
  status?: number | null;
  /** The first uncaught exception (`Name: message`), a refused request, or a load that threw. */
  error: string | null;
}

/** The change to make at one import site, ready to apply by hand. */
export interface Suggestion {
  /** contract: absolute path of the importing file. */
  file: string;
  /** contract: 1-based line where `before` starts. */
  line: number;
  /** contract: the import statement as it stands (one or more lines). */
  before: string;
  /** contract: what to write instead (one or more lines). */
  after: string;
  /** How the change defers the import: a lazy require() accessor, `await import()` at the use, or `import defer`. */
  kind: 'lazy-require' | 'dynamic-import' | 'import-defer';
}

export type FirstUsePhase = 'startup' | 'after-startup' | 'never';

export interface DeferPackage {
  /** contract */
  name: string;
  /** contract */
  version: string;
  /**
   * contract: what the profile predicts deferring saves: bytes, the retained heap of every module that
   * start-up would no longer reach through the import graph (the profile's "defer saves"); ms, the same
   * modules' load time in the runs as it is.
   */
  predicted: { bytes: number; ms: number };
  /**
   * contract: what deferring saved when the program ran that way: the median heap at the stop point (after
   * a full GC, measured, not sampled) as it is less with the imports deferred, and the same for the load
   * time; `runs` deferred runs. Null where the imports could not be deferred in place (see note).
   */
  measured: {
    bytes: number;
    ms: number;
    runs: number;
    /** Smallest and largest saving of the paired runs (as it is, run i, less deferred, run i). */
    bytesRange: [number, number];
    msRange: [number, number];
    /** The deferred runs' heap at the stop point (bytes) and load time (ms). */
    heapBytes: Spread;
    loadMs: Spread;
  } | null;
  /**
   * contract: the deferred program reached the same stop reason and exit code as it does as it is, and a
   * server answered the request sent after start-up (any HTTP answer). Null when it was not run deferred.
   */
  stillStarts: boolean | null;
  /** How the deferred runs ended (the first that differed from the program as it is, else the first). */
  outcome: RunOutcome | null;
  /**
   * contract: when the package was first used with its imports deferred: during start-up (its cost stays
   * unless that line changes), after it (the request sent after start-up, a timer), or never in the run;
   * and where, in the program's own code (null where no frame of it was on the stack).
   */
  firstUse: { phase: FirstUsePhase; site: DeferSite | null; atMs: number | null; how: string | null };
  /** contract: the change at the first import site (the one that loads the package first), or null where none can be written. */
  suggestion: Suggestion | null;
  /** The change at every import site in the program's own files, the first one first. */
  suggestions: Suggestion[];
  /** How the imports were deferred in the measured runs. */
  method: 'stand-in' | 'import-defer' | 'not-measurable';
  /** contract: what to make of it, in a sentence or two (start-up use and its line, what broke, what could not be measured). */
  note: string;
}

export interface DeferFile {
  /** contract */
  schema: typeof DEFER_SCHEMA;
  /** contract: version of importcost that wrote it. */
  importcost: string;
  /** contract: process.version of the target. */
  node: string;
  /** contract: the command as the user gave it. */
  command: string[];
  /** contract */
  cwd: string;
  /** ISO time the first run started. */
  createdAt: string;
  /** File name of the profile's report, in the same folder, and its createdAt (a later profile overwrites it). */
  report: { file: string; createdAt: string } | null;
  /** Where the runs stopped (as `profile --until`) and the request sent to a server after start-up. */
  until: string;
  request: { path: string } | null;
  /** contract: the program as it is, `runs` times: heap at the stop point (bytes), load time (ms), how it ended. */
  asIs: { runs: number; heapBytes: Spread; loadMs: Spread; outcome: RunOutcome };
  /** contract: one entry a package, in the order they were asked for (or the profile's defer candidates). */
  packages: DeferPackage[];
}
