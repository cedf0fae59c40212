/**
 * The recording: what the agent writes from inside the target process, and nothing more.
 * It is raw on purpose (the agent does no analysis); `analysis/` turns it into the import tree.
 * Types only: the agent (src/agent/agent.cts) imports them with `import type`.
 *
 * Times are milliseconds since the agent started (performance.now() deltas, float).
 */

export const RECORDING_SCHEMA = 'importcost-recording@1';

/** One first load seen by the CommonJS hook (require, builtins, JSON, addons, require(esm)). */
export type CjsLoadTuple = [
  id: number,
  /** Absolute filename, or `node:<name>` for a builtin. */
  path: string,
  /** Id of the module whose load was on the stack, or -1 (entry, or loaded from ESM). */
  parent: number,
  startMs: number,
  endMs: number,
  /** false when the load threw (the module stays in the report, with what it allocated). */
  ok: boolean,
  /** The request as written in require(...), '' when not seen (e.g. the entry). */
  request: string,
  /** Growth of V8's code and trusted spaces (not sampled) during the load, nested loads included. */
  unsampledBytes: number,
  /** When no CJS load was on the stack (parent -1): the requiring module's filename, '' if none. */
  parentFile: string,
  /** Exact mode: heapUsed after two full GCs at the load's end less at its start (nested loads included); else -1. */
  exactBytes: number,
];

/** One event from the ESM hooks, in the order the hooks saw them: each new import edge (resolve) and each first load. */
export interface EsmEvent {
  /** r = resolve, l = load */
  t: 'r' | 'l';
  url: string;
  /** resolve only: who imported it, and how it was written. */
  parentURL?: string | undefined;
  specifier?: string;
  format?: string | null | undefined;
  /** load only: epoch ms (performance.timeOrigin + now) around the default loader. */
  start?: number;
  end?: number;
  /** load only: source length in bytes (or chars, for string sources). */
  size?: number;
}

/** V8's SamplingHeapProfile (HeapProfiler.getSamplingProfile), trimmed to what we read. */
export interface V8CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
export interface V8SamplingNode {
  callFrame: V8CallFrame;
  /** Estimated bytes allocated by this frame itself and still alive (V8 scales samples by the interval). */
  selfSize: number;
  id: number;
  children: V8SamplingNode[];
}
export interface V8SamplingProfile {
  head: V8SamplingNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}
/**
 * The same tree as the agent writes it, flat: about an eighth of the JSON to write, read and parse (3.9 MB
 * as a tree, 0.5 MB flat, on the 2,187-module bench app), and far fewer objects for the CLI's GC.
 */
export interface FlatSamplingProfile {
  format: 'flat';
  /** Distinct urls and function names of the frames; nodes refer to them by index. */
  urls: string[];
  names: string[];
  /**
   * FLAT_NODE_FIELDS numbers per node, every parent before its children: the parent's node index (-1 for
   * the root), url index, name index, 0-based line, 0-based column, selfSize.
   */
  nodes: number[];
  /** How many samples are alive. */
  samples: number;
  /**
   * The live samples, two numbers each: the node index, and the size V8 reports for the sample (the
   * object's size times its Poisson count; see sample-weights.ts). Absent from v8-profiler-next's
   * profiles and older recordings: the nodes' selfSize is used then.
   */
  sizes?: number[];
  /**
   * True when `sizes` lists the samples in the order they were allocated (V8's `ordinal`): what a
   * bundle's runtime allocated just before a module's wrapper ran (compiling it) is that module's
   * (analysis/bundles.ts). Absent from older recordings, whose samples come in V8's own order.
   */
  ordered?: boolean;
}
export const FLAT_NODE_FIELDS = 6;

/** The first record of an agent's event stream: who it is (src/agent/identity.cts) and its start. */
export interface EventHello {
  schema: typeof EVENTS_SCHEMA;
  process: RecordingProcess;
  node: string;
  cwd: string;
  /** Epoch ms when the agent started. */
  startedAt: number;
  /** heapUsed after a forced GC at the agent's start (0 from the watch-only agent, which runs no GC). */
  baselineBytes: number;
  /** V8's heap_size_limit: how near the last reading came to running out. */
  heapLimitBytes: number;
}

export const EVENTS_SCHEMA = 'importcost-events@1';

/**
 * One line of an agent's event stream (`<key>.events` in the CLI's work folder), written as the run goes
 * (src/agent/event-stream.cts). Times are ms since the agent started.
 */
export type EventRecord =
  | ['hello', EventHello]
  /** A CommonJS or builtin load began: CjsLoadTuple's id, path, parent, startMs, request, parentFile. */
  | ['o', number, string, number, number, string, string]
  /** It ended: id, endMs, ok, unsampledBytes, exactBytes. */
  | ['c', number, number, boolean, number, number]
  | ['e', EsmEvent]
  /** The heap's used bytes at that time (no GC before it). */
  | ['h', number, number]
  /** A server's first listen() completed; true when it was a cluster primary's listen on its workers' behalf; where. */
  | ['l', number, boolean, ListenAddress]
  /** The first part of the recording (RecordingModules) is on disk. */
  | ['modules']
  /** The whole recording is on disk (the watch-only agent writes none: it has stopped watching). */
  | ['done', StopReason];

/** Where a server listens: a TCP port and host, or a pipe's path; null where not known. */
export interface ListenAddress {
  port: number | null;
  host: string | null;
  path: string | null;
}

/** A server's first listen(): ms since the agent's start, whether a cluster primary made it for its workers, and where. */
export interface RecordingListen extends ListenAddress {
  atMs: number;
  viaCluster: boolean;
}

/** Which process or thread a recording is of (the agent's identity). */
export interface RecordingProcess {
  /** `<pid>`, or `<pid>.<threadId>` for a worker thread. */
  key: string;
  pid: number;
  ppid: number;
  threadId: number;
  /**
   * Key of the profiled process or thread that started this one, or null: a worker thread's is its
   * process's main thread (the agent writes it); a process's is its nearest ancestor that ran an agent
   * (the CLI finds it among `ancestors`).
   */
  parentKey: string | null;
  /** The parent pid, its parent's, and so on up to importcost (Linux; elsewhere just the parent's). */
  ancestors: number[];
  argv: string[];
  execArgv: string[];
  /** The node binary it runs on. */
  execPath?: string;
  /** The package manager or runner whose own process this is (npm, npx, pnpm, yarn, tsx...), or null. */
  launcher: string | null;
  clusterWorker: boolean;
}

/**
 * The agent writes a recording in two files: first everything but the heap (this, to the file named by
 * the agent's `modules` setting), then the rest (RecordingHeap, with the schema). A Recording is both.
 */
export type RecordingModules = Omit<Recording, 'stop' | 'heap' | 'profile'>;
export type RecordingHeap = Pick<Recording, 'stop' | 'heap' | 'profile'>;

/** The agent's own reasons, and (written by the CLI for a process that ended first) the report's others. */
export type StopReason = 'exit' | 'listening' | 'idle' | 'timeout' | 'signal' | 'crash' | 'killed' | 'out-of-memory' | 'watchdog' | 'terminated';

export interface Recording {
  schema: typeof RECORDING_SCHEMA;
  node: string;
  pid: number;
  /** Which process or thread this is. Absent in recordings from before processes and threads were profiled. */
  process?: RecordingProcess;
  /** When a server's first listen() completed, where, and whether a cluster primary made it for its workers. */
  listen?: RecordingListen | null;
  /** process.argv of the target, as the target saw it. */
  argv: string[];
  cwd: string;
  /** Epoch ms when the agent started. */
  startedAt: number;
  /** performance.timeOrigin of the main thread, to convert ESM hook times. */
  timeOrigin: number;
  /** `none`: measured only (the heap after a full GC at the end), no samples: `importcost defer` and `fit`. */
  sampler: 'inspector' | 'v8-profiler-next' | 'none';
  /** Bytes between samples (the mean, with poisson sampling), as given to V8. */
  sampleInterval: number;
  sampling: 'deterministic' | 'poisson';
  /** Exact mode: CJS loads were bracketed by full GCs (CjsLoadTuple exactBytes). */
  exact: boolean;
  /** Prefix of the trampoline frames' url; the rest is the CJS load id. */
  trampolinePrefix: string;
  /**
   * Trampolines per compiled script: load `batch * trampolineBatch + line` runs through the function on
   * (0-based) line `line` of the script named `<trampolinePrefix><batch>`. Absent (older recordings): one
   * script per load, named `<trampolinePrefix><load id>`.
   */
  trampolineBatch?: number;
  /**
   * In-thread ESM hooks (Node 22+): the first resolve of each import request and the first load of each
   * ES module ran Node's step through trampoline `id` (script `<hookTrampolinePrefix><batch>`, line
   * `id % trampolineBatch`). hookOwners[id] is [url, parentURL] for a resolve, [url, null] for a load;
   * url is '' where the resolve failed. Absent in older recordings and with off-thread hooks.
   */
  hookTrampolinePrefix?: string;
  hookOwners?: [string, string | null][];
  /**
   * Public builtins the agent itself loaded before the program's first line (`stream`, `v8`,
   * `worker_threads`, `inspector`...): in the baseline, so a program that loads one first finds it paid for.
   * Absent in older recordings.
   */
  agentBuiltins?: string[];
  /** The url of the agent's own frames (its allocations form the `agent` bucket). */
  agentUrl: string;
  stop: { reason: StopReason; atMs: number; exitCode: number | null; error: string | null };
  heap: {
    /** heapUsed after a forced GC, right before sampling started (the runtime's own baseline). */
    baselineBytes: number;
    /** heapUsed after a forced GC, when the profile was taken. */
    endBytes: number;
    /** The heap spaces the sampler does not see (code, trusted), whose growth the agent measures per load. */
    unsampledSpaces: string[];
    /** Used bytes of each V8 heap space at the baseline and at the end (both after forced GCs). */
    spacesAtBaseline: Record<string, number>;
    spacesAtEnd: Record<string, number>;
    /**
     * Whose full GC endBytes and spacesAtEnd were read after: the sampler's own (the inspector's
     * stopSampling runs one) or one the agent ran. Absent in recordings from before it was recorded.
     */
    endGc?: 'sampler' | 'agent';
    /**
     * Set where the CLI made this part from an event stream because the process ended first: endBytes is
     * then the heap's last reading as it ran (no GC), at this many ms after the start.
     */
    lastReadingAtMs?: number;
  };

  /** Timestamp (ms since start) at which the main entry finished evaluating, if seen. */
  entryDoneMs: number | null;
  cjs: CjsLoadTuple[];
  esm: EsmEvent[];
  /** true when the ESM event buffer overflowed and later events were dropped. */
  esmTruncated: boolean;
  /**
   * Where the agent's ESM hooks ran: `in-thread` (module.registerHooks, Node 22.15+) or `off-thread`
   * (module.register, earlier). Off-thread, Node resolves imports on the hooks' thread and keeps its
   * resolution caches there, not in the program's heap. Absent in older recordings.
   */
  esmHooks?: 'in-thread' | 'off-thread';
  /**
   * [module url, epoch ms] each time an ESM module's body finished evaluating (a line the load hooks
   * append to its source calls the agent), in order. Absent in older recordings.
   */
  esmEvaluated?: [string, number][];
  /**
   * The CommonJS import graph beyond first loads, read at the end: `cjs` rows are [importer, ...imported]
   * from require.cache's `children` (first loads and repeat requires), `builtins` rows [importer,
   * node:x] for builtins required again. Each file is its CJS load id (a number) when it has one, else
   * its path. ESM edges are the resolve events. Absent in older recordings.
   */
  imports?: { cjs: (string | number)[][]; builtins: (string | number)[][] };
  /** Flat from the agent; the tree is what older recordings hold. */
  profile: FlatSamplingProfile | V8SamplingProfile | null;
}

/**
 * `importcost defer`: what one process's agent saw of the packages it was told to defer or probe,
 * written to `<key>.defer-record.json` in the CLI's work folder (whole, then renamed) at each first use
 * and at the stop point. src/agent/defer-hooks.cts writes it; nothing of it is written under `profile`.
 */
export interface DeferRecord {
  schema: typeof DEFER_RECORD_SCHEMA;
  /** Each deferred package's first use, in the order they happened. */
  uses: DeferUse[];
  /** The program's own `import * as ns from 'pkg'` statements rewritten to `import defer` (Node 26.4+). */
  rewrites: { file: string; line: number; package: string }[];
  /** Probe runs: the shape of the exports of each module a program file imports from a probed package, by resolved path. */
  shapes: Record<string, ExportShape>;
  /**
   * An uncaught exception after the stop point (serving the request defer sends, say), which the
   * recording, written at the stop point, does not hold: `Name: message`, and where in the program's own
   * code it was thrown when its stack says. Null when there was none.
   */
  crash: string | null;
}

export const DEFER_RECORD_SCHEMA = 'importcost-defer-record@1';

/** Where in the program's own code something happened: absolute path, 1-based line and column. */
export interface SourceSite {
  file: string;
  line: number;
  column: number;
}

/** The first real use of a deferred package: the stand-in (or the evaluation of a deferred ES module) that loaded it. */
export interface DeferUse {
  package: string;
  /** ms after the agent's start. */
  atMs: number;
  /** Before the stop point (start-up) or after it (a request the CLI sent, a timer). */
  phase: 'startup' | 'after-startup';
  /** The innermost frame of the stack in the program's own files (outside node_modules, Node and importcost); null where none was. */
  site: SourceSite | null;
  /**
   * What the use was: a Proxy trap of the stand-in (`get`, `call`, `construct`, `ownKeys`...); `require`
   * where the module could not be stood in for (its export is a primitive or an exotic object); `read`
   * where a primitive export was read off the stand-in (`const { VERSION } = ...`), `read-exotic` an
   * exotic one;
   * `evaluate` where a deferred ES module's body ran.
   */
  trap: string;
  /** The export it went through, where a member read at the import (`const { S3Client } = require(...)`) was used later. */
  member: string | null;
  /** The property read, tested or written (get, read, has, set...), or null. */
  key: string | null;
  /** `Name: message` where loading the module at that use threw. */
  error: string | null;
}

/**
 * What an export is, as far as a stand-in needs to know to look like it: `f` a function or class, `o` a
 * plain object, `x` an object a Proxy cannot stand in for (an array, a Map, a class instance: methods that
 * need the real receiver), `p` a primitive, null or undefined, `g` a getter not called (unknown).
 */
export type ShapeType = 'f' | 'o' | 'x' | 'p' | 'g';

export interface ExportShape {
  type: ShapeType;
  /** Own properties of the export (string keys) and their shapes. */
  keys: Record<string, ShapeType>;
}

/**
 * One module a program file imports from node_modules: how many API functions it exports, and those that
 * ran during start-up (V8's best-effort coverage, read at the stop point after the heap part was written:
 * src/agent/startup-use.cts). The agent writes a list of them to `<key>.startup-use.json` (Node 22+, not
 * with sampler `none`).
 */
export interface StartupUseRecord {
  /** Its resolved path. */
  file: string;
  /** Exported functions and classes looked at (the export itself when it is one, and its own properties). */
  api: number;
  /** The export names of those that ran (`default` for the export itself). */
  called: string[];
}
