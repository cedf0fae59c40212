/**
 * `<out>/<name>.fit.json`, written by `importcost fit`: a contract (schema `importcost-fit@1`). Types
 * only; its JSON Schema is generated from them (`npm run schema`: schema/importcost-fit.schema.json).
 *
 * Units: sizes named `...MB` are in the unit of Node's --max-old-space-size and of a container's memory
 * limit (`docker run --memory=<n>m`): mebibytes, 2^20 bytes. Everything named `...Bytes` is bytes; `...Ms`
 * milliseconds.
 */

export const FIT_SCHEMA = 'importcost-fit@1';

/** Why a try failed. */
export type FitFailure =
  /** V8 ran out of heap ("JavaScript heap out of memory"), before or after the end of start-up. */
  | 'out-of-memory'
  /** The program crashed otherwise (an uncaught exception, a signal) or exited with a code other than 0. */
  | 'crash'
  /** A server exited before it listened, or a program that listened at the largest size did not. */
  | 'no-listen'
  /** Start-up did not end within --timeout (no listen, no exit). */
  | 'start-timeout'
  /** A health request got no whole answer within --request-timeout. */
  | 'request-timeout'
  /** A health request was answered with a status of 500 or more. */
  | 'server-error'
  /** A health request failed to connect or was cut off while the program still ran. */
  | 'request-error';

/** One run of the program at one size. */
export interface FitTry {
  ok: boolean;
  failure: FitFailure | null;
  /** What happened, in a few words ("served 20 of 20", "out of memory after it listened"). */
  reason: string;
  /** The error the program printed last (the line with `Error` or `FATAL ERROR` in it), if any. */
  lastError: string | null;
  /**
   * Peak resident memory of the command's processes (the program's, and a launcher's such as npm or a
   * shell): the sum of each one's peak (VmHWM in /proc/<pid>/status, read every 50 ms and after the
   * health check), so at least the peak of their sum. Null where there is no /proc.
   */
  peakRssBytes: number | null;
  /** From the command's start to the end of start-up: the first listen() of a server, a CLI's exit. Null if it never got there. */
  startMs: number | null;
  /** Health requests sent, and those answered below 500 in time (servers; 0 and 0 for a CLI). */
  requests: { sent: number; ok: number };
  /** How the command's root process ended (after importcost stopped a server: its SIGTERM, or its own code). */
  exit: { code: number | null; signal: string | null };
  /**
   * The program's V8 heap limit (heap_size_limit: old space plus the young generation), as its process
   * saw it; null where the try ran without the agent (the search below --max runs the program alone).
   */
  heapLimitBytes: number | null;
}

/** One size of the search. */
export interface FitStep {
  /** --max-old-space-size of this step (MiB). */
  mb: number;
  /**
   * `search`: a step of the binary search (the largest size first, with the watch-only agent; the others
   * with no agent in the program); `recommended`: the recommended size, run (with the agent) to check it
   * and measure its memory.
   */
  phase: 'search' | 'recommended';
  /** Every try passed. */
  ok: boolean;
  /** The first failed try's reason, or the passing tries' ("served 20 of 20 each time"). */
  reason: string;
  failure: FitFailure | null;
  /** The highest peakRssBytes of its tries. */
  peakRssBytes: number | null;
  /** The median startMs of its tries that got there. */
  startMs: number | null;
  /** The tries made: up to --tries; a size stops at its first failed try. */
  tries: FitTry[];
}

/** A package that holds heap at the end of start-up, at the minimum. */
export interface FitHolder {
  /** `name@version` */
  package: string;
  /** Inclusive retained bytes: everything it loaded first (the profile's totalBytes). */
  totalBytes: number;
  /** What not loading it at start-up would take out of the heap (through the import graph). */
  deferBytes: number;
}

export interface FitDeferCandidate {
  /** `name@version` */
  package: string;
  /** What deferring it alone would take out of the heap at the end of start-up. */
  savesBytes: number;
  /** minOldSpaceMB less savesBytes (in MiB), rounded up: the minimum predicted with it deferred alone. */
  predictedMinOldSpaceMB: number;
  /** Where the program's own code imports it (`file:line:column`), first loader first. */
  importedAt: string[];
}

/** What the profile at the minimum found. */
export interface FitProfile {
  /** The report written (`<out>/<name>.fit-min.importcost.json`), relative to the working folder where it is inside it. */
  report: string;
  /** --max-old-space-size the profile ran at (MiB): the minimum, or the recommended size if the sampler did not fit in the minimum. */
  atMB: number;
  /** Heap at the end of start-up after a full GC (bytes), less nothing: the profile's totals.heapBytes. */
  heapBytes: number;
  /** Of it, what module loads retained (attributed bytes). */
  attributedBytes: number;
  /** The packages that hold the most (inclusive bytes), most first; up to 5. */
  holders: FitHolder[];
  /**
   * Deferring the top candidates, predicted from the import graph (not measured: `importcost defer`
   * measures it): the packages the program's own files import, by what deferring each saves, up to 3.
   */
  defer: {
    candidates: FitDeferCandidate[];
    /** What deferring all of them together would take out of the heap (shared modules counted once). */
    savesBytes: number;
    /** heapBytes less savesBytes. */
    predictedHeapBytes: number;
    /**
     * minOldSpaceMB less savesBytes (in MiB), rounded up: the old space the program would need if what it
     * defers leaves it byte for byte. A prediction; only a new fit measures it.
     */
    predictedMinOldSpaceMB: number;
  };
}

export interface FitReport {
  schema: typeof FIT_SCHEMA;
  /** `importcost@<version>` that wrote it. */
  importcost: string;
  /** The command as given. */
  command: string[];
  cwd: string;
  /** ISO time the fit started. */
  createdAt: string;
  /** The program's Node version (process.version of its main process). */
  node: string | null;
  /** `server`: it listened at the largest size, and each step sends it requests; `cli`: it exits by itself (code 0 passes). */
  kind: 'server' | 'cli';
  /**
   * contract: the smallest --max-old-space-size (MiB) at which every try passed: the program started,
   * a server answered every health request in time, and nothing crashed.
   */
  minOldSpaceMB: number;
  /** The minimum is --min itself: the program may need even less. */
  atLowerBound: boolean;
  /** How the search ran. */
  search: {
    minMB: number;
    maxMB: number;
    /** Where maxMB came from: --max, or a few times the heap of a first run with no limit (`profile`), capped by the machine's memory. */
    maxFrom: 'option' | 'profile';
    /** The first run's heap at the end of start-up (bytes), where maxMB came from it. */
    profiledHeapBytes: number | null;
    /** Tries a size. */
    tries: number;
    /** GET requests a try sends a server (after it listened), and to which path. */
    requests: number;
    health: string;
    requestTimeoutMs: number;
    /** How long start-up may take at a size (ms). */
    timeoutMs: number;
    /** Wall time of the whole fit (ms). */
    wallMs: number;
  };
  /** Every size tried, in order. */
  steps: FitStep[];
  recommended: {
    /** minOldSpaceMB plus the headroom, rounded up (MiB): `NODE_OPTIONS=--max-old-space-size=<n>`. */
    maxOldSpaceMB: number;
    /**
     * A container memory limit (MiB): the peak resident memory of the command at maxOldSpaceMB under the
     * health check, plus the headroom, rounded up. Estimated, not searched (see container).
     */
    containerMB: number;
    /** The headroom, as a fraction of each (0.25: 25%). */
    headroom: number;
    /** Why the headroom, in a sentence, with what was measured. */
    why: string;
  };
  /** The profile at the minimum (null where it could not run). */
  atMinimum: FitProfile | null;
  /**
   * Container memory (cgroup v2 memory.max) as a second search: whether this machine let importcost
   * make a cgroup to run the program in, and if not, why.
   */
  container: { searched: false; why: string };
}
