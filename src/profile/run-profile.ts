/**
 * Run a command under the agent (every Node process and thread it starts), wait for the recordings, and
 * build one report per process or thread. No printing: progress goes to the `onProgress` callback,
 * results are returned, failures are thrown as ImportcostError.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noNodeError, targetError, usageError } from '../errors.js';
import type { PreparedReport } from '../analysis/build-report.js';
import type { ProcessFacts, ProcessPlace } from '../analysis/process-roles.js';
import type { DeferRecord, Recording, RecordingHeap, RecordingListen, StartupUseRecord, RecordingModules, RecordingProcess, StopReason } from '../recording/format.js';
import { DEFER_RECORD_SCHEMA, RECORDING_SCHEMA } from '../recording/format.js';
import type { DeferSettings } from '../agent/types.cjs';
import type { Report, ReportProcess, ReportProcessSummary } from '../report/format.js';
import type { AgentTrack } from './agent-events.js';
import { commandLine, entryExists, nodeOptionsWithAgent, parseCommand, type Target } from './command.js';
import { DEFAULTS } from './defaults.js';
import { ensureOutputDir } from './output-dir.js';
import { supervise, type RunEnd, type Supervised } from './supervise.js';
import { checkTypeScriptEntry } from './type-stripping.js';
import { writeFileAtomically } from './write-atomically.js';
import { IMPORTCOST_VERSION } from '../version.js';

const here = dirname(fileURLToPath(import.meta.url));
/** What `--require` loads in each process and thread of the command (agent/preload.cts). */
export const AGENT_PATH = join(here, '..', 'agent', 'preload.cjs');

export type Until = 'auto' | 'exit' | 'listening' | 'idle' | number;

export interface ProfileOptions {
  /**
   * `[entry, ...args]`; `[node, ...nodeFlags, entry, ...args]` to choose node and its flags; or any
   * command (`['npm', 'start']`), run as given with the agent reaching every Node process it starts.
   */
  command: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Output directory (created). */
  out?: string;
  /** Base name of the output files; default: the entry's base name without extension (a command's words). */
  name?: string;
  until?: Until;
  timeoutMs?: number;
  settleMs?: number;
  idleMs?: number;
  /** Bytes between heap samples (the mean, with poisson sampling). */
  sampleInterval?: number;
  /** Where V8 places heap samples; see DEFAULTS.sampling. */
  sampling?: 'deterministic' | 'poisson';
  /** Measure each CommonJS load exactly (full GCs at its boundaries): precise, and slow. */
  exact?: boolean;
  /**
   * Also time ESM module bodies: the load hooks append one line to each ESM module's source that reports
   * when the body has run. Off by default: those lines are retained with the modules (measured +0.25 MB
   * on Node 20 and 22 for the bench's 458 ESM modules).
   */
  esmEvaluation?: boolean;
  /** `none`: no heap sampling; loads, times and the heap at the end after a full GC only. */
  sampler?: 'inspector' | 'v8-profiler-next' | 'none';
  /**
   * Frames V8 keeps per heap sample (v8-profiler-next only: the inspector always keeps 128). V8 walks
   * that many frames for every sample, so fewer is cheaper; a sample whose load is deeper than this
   * is not attributed (it lands in the `runtime` bucket).
   */
  stackDepth?: number;
  /** Node binary for the `[entry, ...args]` form; default: the one running importcost. */
  node?: string;
  /** The target's stdio: inherited by default (its output passes through untouched). */
  stdio?: 'inherit' | 'ignore';
  /** Stop the target tree when this process gets SIGINT/SIGTERM (the CLI does). */
  forwardSignals?: boolean;
  /**
   * v8.cachedDataVersionTag() of a node started with no flags (the CLI reads its own, when it has none).
   * Where the target's tag matches, V8 accepts Node's built-in code cache there, and the agent keeps it
   * usable for the built-ins the program loads (src/agent/agent.cts). Unset: it does not try.
   */
  codeCacheTag?: number;
  onProgress?: (message: string) => void;
  /** Called after each read of the agents' streams: processes seen, modules loaded so far, ms since the start. */
  onTick?: (state: { processes: number; modules: number; elapsedMs: number }) => void;
  /**
   * Mark the defer candidates start-up did not use (V8's best-effort coverage at the stop point, Node 22+;
   * report.startupUse). Default true; it costs the target time after its heap was read (see README).
   */
  startupUse?: boolean;
  /** `importcost defer`: packages to make lazy or to probe in this run (src/agent/defer-hooks.cts). */
  defer?: DeferSettings;
  /**
   * Once start-up is over for the whole program, before importcost stops it: the program runs on until the
   * promise settles (`importcost defer` sends its request here). `listen` is the first listen() any of its
   * processes made, or null.
   */
  afterStartup?: (state: { listen: RecordingListen | null }) => Promise<unknown>;
}

/** One process or thread's report, as written. */
export interface ProcessReport {
  report: Report;
  files: { report: string; speedscope: string };
}

export interface ProfileResult {
  /** The report of the process that matters most (see pickMain): `<out>/<name>.importcost.json`. */
  report: Report;
  files: { report: string; speedscope: string };
  /** Every process and thread, the main one first. */
  processes: ProcessReport[];
  /** How the run ended (RunEnd): start-up over, the root's exit, the watchdog, or an interrupt. */
  end: RunEnd;
  /**
   * What importcost should exit with: the root's own code when it ended by itself (128 + the signal when
   * one killed it), 0 when importcost stopped it after start-up, WATCHDOG_EXIT_CODE when the watchdog
   * did, 128 + the signal when importcost itself was interrupted.
   */
  exitCode: number;
  /** With `defer`: what each process's agent recorded (its key: `<pid>` or `<pid>.<threadId>`). */
  deferRecords: { key: string; record: DeferRecord }[];
}

/** importcost's exit code when its watchdog had to stop a target that did not finish within --timeout. */
export const WATCHDOG_EXIT_CODE = 124;

/**
 * v8-profiler-next is an optional peer dependency: a native addon the user installs for
 * `--sampler v8-profiler-next`, so that installing importcost builds nothing. Run with npx, importcost
 * lives in npx's cache and the addon in the user's project: look from cwd first, then from importcost's
 * own folder (a project that has both, or this repo).
 */
function v8ProfilerNextDir(cwd: string): string {
  for (const from of [join(cwd, 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      return dirname(createRequire(from).resolve('v8-profiler-next/package.json'));
    } catch {
      // Not installed there; try the next place.
    }
  }
  throw usageError(
    'the v8-profiler-next sampler is not installed',
    'install it in your project with `npm install --save-dev v8-profiler-next` (a native addon, built with node-gyp), or use the default --sampler inspector',
  );
}

/** Output files' base name: the entry's (server.js -> server), or a command's first words (npm start -> npm-start). */
export function defaultName(target: Target): string {
  if (target.kind === 'node') return basename(target.entry, extname(target.entry)) || 'profile';
  const words = [basename(target.argv[0]!, extname(target.argv[0]!))];
  const next = target.argv[1];
  if (next !== undefined && !next.startsWith('-')) words.push(basename(next, extname(next)));
  return words.join('-').replace(/[^\w.@-]+/g, '_') || 'profile';
}

export async function profile(options: ProfileOptions): Promise<ProfileResult> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const sampler = options.sampler ?? 'inspector';
  if (options.stackDepth !== undefined && sampler !== 'v8-profiler-next') {
    throw usageError('--stack-depth needs --sampler v8-profiler-next', "the inspector's sampler always keeps 128 frames; drop --stack-depth or add --sampler v8-profiler-next");
  }
  const target = parseCommand(options.command, options.node ?? process.execPath, cwd, env.PATH);
  if (target.kind === 'node' && !entryExists(resolve(cwd, target.entry))) {
    throw usageError(`cannot find the entry file ${target.entry}`, `run it from the folder it is in, or give its path (looked in ${cwd})`);
  }
  if (target.kind === 'node') checkTypeScriptEntry(target.entry, target.node, target.nodeArgs, env.NODE_OPTIONS);
  const name = options.name ?? defaultName(target);
  const out = resolve(cwd, options.out ?? DEFAULTS.out);
  ensureOutputDir(out);
  const v8ProfilerDir = sampler === 'v8-profiler-next' ? v8ProfilerNextDir(cwd) : null;
  if (v8ProfilerDir !== null) checkV8ProfilerNext(target.kind === 'node' ? target.node : process.execPath, v8ProfilerDir);

  const work = mkdtempSync(join(tmpdir(), 'importcost-'));
  const until = options.until ?? 'auto';
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const config = {
    dir: work,
    cliPid: process.pid,
    sampleInterval: options.sampleInterval ?? DEFAULTS.sampleInterval,
    deterministic: (options.sampling ?? DEFAULTS.sampling) === 'deterministic',
    exact: options.exact ?? false,
    esmEvaluation: options.esmEvaluation ?? false,
    stackDepth: options.stackDepth ?? DEFAULTS.stackDepth,
    sampler,
    v8ProfilerDir,
    until,
    settleMs: options.settleMs ?? DEFAULTS.settleMs,
    idleMs: options.idleMs ?? DEFAULTS.idleMs,
    timeoutMs,
    codeCacheTag: options.codeCacheTag ?? null,
    startupUse: options.startupUse ?? true,
    ...(options.defer ? { defer: options.defer } : {}),
  };
  const [file, args] = commandLine(target);
  options.onProgress?.(`profiling ${target.kind === 'node' ? [target.entry, ...target.args].join(' ') : target.argv.join(' ')} (until ${until})`);
  // The agent reaches every Node process of the command through NODE_OPTIONS (npm, shells and the
  // program's own child processes pass it on), and every worker thread through --require.
  const childEnv: Record<string, string | undefined> = {
    ...env,
    NODE_OPTIONS: nodeOptionsWithAgent(AGENT_PATH, env.NODE_OPTIONS),
    IMPORTCOST_AGENT: JSON.stringify(config),
  };

  // Each agent writes its recording in two parts, each written, then renamed, then announced in its event
  // stream: "modules" (everything but the heap), then "done" (the heap). What of a report does not need
  // the heap (packages, import sites, names, the graph) is built while the agent reads the profile; the
  // rest once it is done, while the target is still exiting. Anything that fails early is redone after.
  const paths = (key: string) => ({ modules: join(work, `${key}.modules.json`), heap: join(work, `${key}.heap.json`) });
  const readJson = <T>(path: string): T => {
    const value = JSON.parse(readFileSync(path, 'utf8')) as T & { schema: string };
    if (value.schema !== RECORDING_SCHEMA) throw new Error(`agent wrote ${value.schema}, expected ${RECORDING_SCHEMA}`);
    return value;
  };
  const analysis = loadAnalysis();
  // (Handled where it is awaited; this only keeps a failed load from counting as unhandled meanwhile.)
  analysis.catch(() => {});
  const prepared = new Map<string, Promise<PreparedReport | null>>();
  const paid = new Map<string, Promise<ProbedCosts>>();
  const firstUse = new Map<string, Promise<number | null>>();
  /**
   * What the agent's builtins took from this process's builtins, and the ESM loader's first use on its Node
   * where it loaded an ES module (probed while the agent reads its profile; the latter once per Node).
   */
  const probed = (key: string): Promise<ProbedCosts> => {
    let p = paid.get(key);
    if (!p) {
      p = Promise.all([analysis, prepare(key)])
        .then(([a, prep]) => (prep ? probeCosts(prep, a, target.kind === 'node' ? target.node : process.execPath, firstUse) : {}))
        .catch(() => ({}));
      paid.set(key, p);
    }
    return p;
  };
  const early = new Map<string, Promise<Report | null>>();
  const prepare = (key: string): Promise<PreparedReport | null> => {
    let p = prepared.get(key);
    if (!p) {
      p = analysis.then((a) => prepareWithMaps(a, readJson<RecordingModules>(paths(key).modules))).catch(() => null);
      prepared.set(key, p);
    }
    return p;
  };
  try {
    const run = await supervise({
      file,
      args,
      cwd,
      env: childEnv,
      stdio: options.stdio ?? 'inherit',
      dir: work,
      timeoutMs,
      graceMs: DEFAULTS.graceMs,
      forwardSignals: options.forwardSignals ?? false,
      // The settings name this run's own work folder: only its processes carry them.
      envEntry: `IMPORTCOST_AGENT=${childEnv.IMPORTCOST_AGENT}`,
      onModules: (track) => void probed(track.key),
      onDone: (track) => {
        early.set(
          track.key,
          Promise.all([analysis, prepare(track.key), probed(track.key)])
            .then(([a, p, costs]) => (p ? a.finishReport(p, readJson<RecordingHeap>(paths(track.key).heap), buildOptions(options.command, costs)) : null))
            .catch(() => null),
        );
      },
      onTick: options.onTick
        ? (agents, elapsedMs) => {
            let modules = 0;
            for (const track of agents.values()) modules += track.loads;
            options.onTick!({ processes: agents.size, modules, elapsedMs });
          }
        : undefined,
      afterStartup: options.afterStartup
        ? (agents) => options.afterStartup!({ listen: [...agents.values()].find((track) => track.listen !== null)?.listen ?? null })
        : undefined,
    });
    const loaded = await analysis;
    const built = await buildReports(run, loaded, {
      early,
      prepare,
      probed,
      readHeap: (key) => readJson<RecordingHeap>(paths(key).heap),
      readModules: (key) => readJson<RecordingModules>(paths(key).modules),
      readFatal: (key) => readFatalReport(join(work, `${key}.fatal.json`)),
      readStartupUse: (key) => {
        try {
          return JSON.parse(readFileSync(join(work, `${key}.startup-use.json`), 'utf8')) as StartupUseRecord[];
        } catch {
          return null;
        }
      },
      command: options.command,
    });
    const exitCode = exitCodeFor(run, built);
    if (built.length === 0) {
      const how = run.root.signal ? `was killed by ${run.root.signal}` : `exited with code ${run.root.code}`;
      if (target.kind === 'command') {
        throw noNodeError(`${target.argv[0]} ran no Node process (it ${how})`, 'profile a command that runs node: importcost profile -- npm start', exitCode);
      }
      throw targetError(`the target ${how} before importcost could record anything`, run.root.signal === 'SIGKILL' ? 'SIGKILL cannot be caught; if it ran out of memory, raise its limit' : 'check that it runs with plain node');
    }
    if (env.IMPORTCOST_KEEP_RECORDING) {
      const main = built[0]!;
      const recording = main.recording ?? { ...readJson<RecordingModules>(paths(main.key).modules), ...readJson<RecordingHeap>(paths(main.key).heap) };
      writeFileSync(env.IMPORTCOST_KEEP_RECORDING, JSON.stringify(recording));
    }
    const reports = writeReports(built, loaded, out, name);
    const deferRecords = options.defer ? readDeferRecords(work) : [];
    return { report: reports[0]!.report, files: reports[0]!.files, processes: reports, end: run.end, exitCode, deferRecords };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function buildOptions(
  command: string[],
  extra: { exit?: { exitCode: number | null; signal: string | null }; process?: ReportProcess } & ProbedCosts = {},
) {
  return { importcost: IMPORTCOST_VERSION, command, ...extra };
}

/** One process or thread's report before it gets its place among the others. */
interface Built {
  key: string;
  report: Report;
  recording: Recording | null;
  track: AgentTrack;
  place?: ProcessPlace;
}

interface BuildContext {
  early: Map<string, Promise<Report | null>>;
  prepare: (key: string) => Promise<PreparedReport | null>;
  probed: (key: string) => Promise<ProbedCosts>;
  readHeap: (key: string) => RecordingHeap;
  readModules: (key: string) => RecordingModules;
  /** What Node's fatal-error report says of a process that aborted (see the agent's fatalReport), or null. */
  readFatal: (key: string) => { event: string; heapBytes: number } | null;
  /** What the agent wrote of start-up's use of the packages the program imports, or null. */
  readStartupUse: (key: string) => StartupUseRecord[] | null;
  command: string[];
}

/** Every agent's report (a partial one from its event stream where it ended first), the main one first. */
async function buildReports(run: Supervised, a: Analysis, context: BuildContext): Promise<Built[]> {
  const built: Built[] = [];
  for (const track of run.agents.values()) {
    if (track.hello === null) continue;
    const isRoot = track.hello.process.pid === run.root.pid && track.hello.process.threadId === 0;
    const exit = isRoot ? { exitCode: run.root.code, signal: run.root.signal } : undefined;
    let report: Report | null = null;
    let recording: Recording | null = null;
    if (track.done !== null) {
      report = (await context.early.get(track.key)) ?? null;
      if (report === null) {
        try {
          const prepared = await context.prepare(track.key);
          const heap = context.readHeap(track.key);
          if (prepared) report = a.finishReport(prepared, heap, buildOptions(context.command, await context.probed(track.key)));
        } catch {
          report = null;
        }
      }
      if (report !== null && exit) report = a.withExit(report, exit);
      const startupUse = context.readStartupUse(track.key);
      if (report !== null && startupUse !== null) report = a.withStartupUse(report, startupUse);
    }
    if (report === null) {
      // Ended before its recording was whole: made from what it streamed.
      let modules: RecordingModules | undefined;
      try {
        modules = track.modules ? context.readModules(track.key) : undefined;
      } catch {
        modules = undefined;
      }
      const fatal = context.readFatal(track.key);
      const end = fatal
        ? { reason: /out of memory/i.test(fatal.event) ? ('out-of-memory' as const) : ('crash' as const), exitCode: exit?.exitCode ?? null, error: fatal.event, heapBytes: fatal.heapBytes }
        : { reason: partialReason(run, track, isRoot), exitCode: exit?.exitCode ?? null, error: null };
      recording = a.recordingFromEvents(track.hello, track.records, end, modules);
      report = a.finishReport(await prepareWithMaps(a, recording), recording, buildOptions(context.command, exit ? { exit } : {}));
    }
    built.push({ key: track.key, report, recording, track });
  }
  if (built.length === 0) return built;
  linkParents(built.map((b) => b.track.hello!.process));
  const facts: ProcessFacts[] = built.map((b) => ({
    process: b.track.hello!.process,
    startedAt: b.track.hello!.startedAt,
    listen: b.track.listen,
    retainedBytes: b.report.totals.attributedBytes,
  }));
  const places = a.placeProcesses(facts);
  const mainKey = a.pickMain(facts, places);
  for (const b of built) b.place = places.get(b.key);
  built.sort((x, y) => (x.key === mainKey ? -1 : y.key === mainKey ? 1 : x.track.hello!.startedAt - y.track.hello!.startedAt));
  return built;
}

/** Every `<key>.defer-record.json` the agents wrote in the work folder (see DeferRecord). */
function readDeferRecords(work: string): { key: string; record: DeferRecord }[] {
  const suffix = '.defer-record.json';
  const records: { key: string; record: DeferRecord }[] = [];
  for (const name of readdirSync(work).filter((n) => n.endsWith(suffix))) {
    try {
      const record = JSON.parse(readFileSync(join(work, name), 'utf8')) as DeferRecord;
      if (record.schema === DEFER_RECORD_SCHEMA) records.push({ key: name.slice(0, -suffix.length), record });
    } catch {
      // Half a record cannot be: it is written whole, then renamed.
    }
  }
  return records;
}

/** Node's diagnostic report of a fatal error: the event ("...JavaScript heap out of memory"), the heap then, where JS was. */
function readFatalReport(file: string): { event: string; heapBytes: number } | null {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      header?: { event?: string };
      javascriptHeap?: { usedMemory?: number };
      javascriptStack?: { stack?: string[] };
    };
    const at = report.javascriptStack?.stack?.find((line) => /\(.*:\d+:\d+\)|at \//.test(line))?.trim();
    return {
      event: `${report.header?.event ?? 'fatal error'}${at ? `, ${at}` : ''}`,
      heapBytes: report.javascriptHeap?.usedMemory ?? 0,
    };
  } catch {
    return null;
  }
}

/** A process's parent is its nearest ancestor that ran an agent (through npm, shells and scripts alike). */
function linkParents(processes: RecordingProcess[]): void {
  const agentPids = new Set(processes.filter((p) => p.threadId === 0).map((p) => p.pid));
  for (const p of processes) {
    if (p.threadId !== 0 || p.parentKey !== null) continue;
    const parent = p.ancestors.find((pid) => agentPids.has(pid));
    if (parent !== undefined) p.parentKey = `${parent}`;
  }
}

/** Why a process or thread that wrote no whole recording stopped, as far as can be told from outside. */
function partialReason(run: Supervised, track: AgentTrack, isRoot: boolean): StopReason {
  const hello = track.hello!;
  if (run.blocked.has(track.key)) return 'watchdog';
  if (hello.process.threadId !== 0) return 'terminated';
  // V8 aborts when the heap reaches its limit ("Fatal JavaScript out of memory"): SIGABRT, or SIGTRAP.
  const nearLimit = track.lastHeap !== null && track.lastHeap.bytes >= 0.8 * hello.heapLimitBytes;
  if (isRoot && (run.root.signal === 'SIGABRT' || run.root.signal === 'SIGTRAP')) return nearLimit ? 'out-of-memory' : 'killed';
  return nearLimit ? 'out-of-memory' : 'killed';
}

/** Give each report its place among the command's processes, and write them all. */
function writeReports(built: Built[], a: Analysis, out: string, name: string): ProcessReport[] {
  const fileOf = (b: Built, i: number) => (i === 0 ? name : `${name}.${b.place!.label}`);
  const processOf = (b: Built): ReportProcess => {
    const own = b.track.hello!.process;
    const parent = built.find((p) => p.key === own.parentKey)?.track.hello!.process;
    return {
      pid: own.pid,
      ppid: own.ppid,
      threadId: own.threadId,
      role: b.place!.role,
      label: b.place!.label,
      argv: own.argv,
      launcher: own.launcher,
      parent: parent ? { pid: parent.pid, threadId: parent.threadId } : null,
      listen: b.track.listen,
    };
  };
  const summaries: ReportProcessSummary[] = built
    .map((b, i) => ({ b, i }))
    .sort((x, y) => x.b.track.hello!.startedAt - y.b.track.hello!.startedAt)
    .map(({ b, i }) => {
      return {
        ...processOf(b),
        file: `${fileOf(b, i)}.importcost.json`,
        heapBytes: b.report.totals.heapBytes,
        heap: b.report.totals.heap,
        modules: b.report.totals.modules,
        wallMs: b.report.totals.wallMs,
        stopReason: b.report.stop.reason,
        attributedBytes: b.report.totals.attributedBytes,
        entry: b.report.modules[0]?.path ?? null,
      };
    });
  return built.map((b, i) => {
    const report = a.withProcess(b.report, processOf(b), i === 0 ? summaries : undefined);
    const base = join(out, fileOf(b, i));
    const files = { report: `${base}.importcost.json`, speedscope: `${base}.speedscope.json` };
    writeFileAtomically(files.speedscope, JSON.stringify(a.exportSpeedscope(report, fileOf(b, i))));
    writeFileAtomically(files.report, `${JSON.stringify(report, null, 1)}\n`);
    return { report, files };
  });
}

/** See ProfileResult.exitCode. */
function exitCodeFor(run: Supervised, built: Built[]): number {
  if (run.end === 'watchdog') return WATCHDOG_EXIT_CODE;
  if (run.end === 'interrupted') return 128 + (signalNumber(run.interrupt ?? 'SIGTERM') ?? 15);
  if (run.end === 'startup') return 0;
  // The root ended by itself (and with it the run): its own code passes through, unless its agent
  // stopped recording at the end of start-up first and importcost then stopped it.
  const root = built.find((b) => b.track.hello!.process.pid === run.root.pid && b.track.hello!.process.threadId === 0);
  const reason = root?.report.stop.reason;
  if (reason === 'listening' || reason === 'idle' || reason === 'timeout') {
    if (run.root.signal === 'SIGTERM' || run.root.signal === 'SIGKILL') return 0;
  }
  if (run.root.signal) return 128 + (signalNumber(run.root.signal) ?? 1);
  return run.root.code ?? 1;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return (
    { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>
  )[signal];
}

/**
 * A kept recording's report (IMPORTCOST_KEEP_RECORDING), built again as a run builds it: its source maps
 * read, the probes asked (their answers are mostly cached). For changes to the analysis: the same
 * recordings rebuilt before and after (test/bench/kept-recordings.mjs).
 */
export async function rebuildReport(recording: Recording, command: string[] = []): Promise<Report> {
  const a = await loadAnalysis();
  const prepared = await prepareWithMaps(a, recording);
  const costs = await probeCosts(prepared, a, recording.process?.execPath ?? process.execPath, new Map());
  return a.finishReport(prepared, recording, buildOptions(command, costs));
}

/** What finishReport takes from the probes (BuildOptions). */
interface ProbedCosts {
  agentPaid?: Record<string, number>;
  esmFirstUse?: number;
  builtinLoads?: Record<string, string[]>;
  externalSourceLength?: number;
}

/**
 * agentPaidFor, the ESM loader's first use where an import loaded the process's first ES module
 * (esm-first-use.ts), what the builtins an earlier import claims load (build-report's claimedBuiltins;
 * builtin-loads.ts), and whether a source as long as one the loader read is kept outside the heap
 * (external-sources.ts).
 */
async function probeCosts(prepared: PreparedReport, a: Analysis, fallbackNode: string, firstUse: Map<string, Promise<number | null>>): Promise<ProbedCosts> {
  const node = prepared.recording.process?.execPath ?? fallbackNode;
  const claimed = a.claimedBuiltins(prepared);
  let esm: Promise<number | null> = Promise.resolve(null);
  if (a.firstImportedEsm(prepared.raw) >= 0) {
    if (!firstUse.has(node)) firstUse.set(node, import('./esm-first-use.js').then((m) => m.esmFirstUse(node)));
    esm = firstUse.get(node)!;
  }
  const main = prepared.recording.argv[1] ?? '';
  const esmEntry = prepared.raw.some((m) => m.kind === 'esm' && m.key === main);
  const loads = claimed.length === 0 ? Promise.resolve(null) : import('./builtin-loads.js').then((m) => m.builtinLoads(node, esmEntry, prepared.recording.agentBuiltins ?? [], claimed));
  // Only where the loader read a source long enough for the answer to matter (rare: vite's bundled chunk).
  const external = import('./external-sources.js').then((m) => (a.hasLongSource(prepared, m.EXTERN_APEX) ? m.externalSourceLength(node) : null));
  const [agentPaid, esmFirstUse, builtinLoads, externalSourceLength] = await Promise.all([agentPaidFor(prepared, node, esmEntry, a.builtinsInSourceOrder), esm, loads, external]);
  return {
    agentPaid,
    ...(esmFirstUse === null ? {} : { esmFirstUse }),
    ...(builtinLoads === null ? {} : { builtinLoads }),
    ...(externalSourceLength === null ? {} : { externalSourceLength }),
  };
}

/** The builtins a process loaded, in its order, that the agent's own builtins paid for in part (builtin-costs.ts). */
async function agentPaidFor(prepared: PreparedReport, node: string, esmEntry: boolean, inSourceOrder: (prepared: PreparedReport) => string[]): Promise<Record<string, number>> {
  // An ES module program's builtins load as its import graph is linked, before any of its modules runs,
  // so they are replayed in source order (as the ground truth imports one dependency after another), as an
  // ES module (whose loader has loaded its own builtins first). A CommonJS program's, in the order it
  // loaded them. Before ES module programs had this, an .mts entry importing pino, then got, read pino
  // -20..-40% (worker_threads, which the agent had loaded), and got read -9..-16% in app.mjs and
  // app-zod.mjs (node:stream). In load order, app-sdk.mts's 0.18 MB went to got's node:stream/promises,
  // which its link loads first; in source order, to the SDK's node:crypto (test/real-deps.test.ts).
  const agentBuiltins = prepared.recording.agentBuiltins ?? [];
  const builtins = esmEntry
    ? inSourceOrder(prepared)
    : prepared.raw
        .filter((m) => m.kind === 'builtin')
        .sort((x, y) => x.startMs - y.startMs)
        .map((m) => m.key.replace(/^node:/, ''));
  const { agentPaidBuiltins } = await import('./builtin-costs.js');
  return agentPaidBuiltins(node, esmEntry, builtins, agentBuiltins);
}

/** prepareReport, with the source maps of the run's bundles and compiled files read first (async: the decoder is). */
async function prepareWithMaps(a: Analysis, recording: RecordingModules): Promise<PreparedReport> {
  const maps = await a.readSourceMaps(a.listModules(recording));
  return a.prepareReport(recording, (raw) => a.gatherFileFacts(raw, maps));
}

interface Analysis {
  listModules: typeof import('../analysis/list-modules.js').listModules;
  readSourceMaps: typeof import('./source-maps.js').readSourceMaps;
  prepareReport: typeof import('../analysis/build-report.js').prepareReport;
  finishReport: typeof import('../analysis/build-report.js').finishReport;
  withExit: typeof import('../analysis/build-report.js').withExit;
  firstImportedEsm: typeof import('../analysis/build-report.js').firstImportedEsm;
  claimedBuiltins: typeof import('../analysis/build-report.js').claimedBuiltins;
  hasLongSource: typeof import('../analysis/build-report.js').hasLongSource;
  builtinsInSourceOrder: typeof import('../analysis/build-report.js').builtinsInSourceOrder;
  withProcess: typeof import('../analysis/build-report.js').withProcess;
  withStartupUse: typeof import('../analysis/build-report.js').withStartupUse;
  recordingFromEvents: typeof import('../analysis/partial-recording.js').recordingFromEvents;
  placeProcesses: typeof import('../analysis/process-roles.js').placeProcesses;
  pickMain: typeof import('../analysis/process-roles.js').pickMain;
  gatherFileFacts: typeof import('./file-facts.js').gatherFileFacts;
  exportSpeedscope: typeof import('../exporters/speedscope.js').exportSpeedscope;
}

async function loadAnalysis(): Promise<Analysis> {
  const [report, partial, roles, { gatherFileFacts }, { exportSpeedscope }, { listModules }, { readSourceMaps }] = await Promise.all([
    import('../analysis/build-report.js'),
    import('../analysis/partial-recording.js'),
    import('../analysis/process-roles.js'),
    import('./file-facts.js'),
    import('../exporters/speedscope.js'),
    import('../analysis/list-modules.js'),
    import('./source-maps.js'),
  ]);
  return {
    listModules,
    readSourceMaps,
    prepareReport: report.prepareReport,
    finishReport: report.finishReport,
    withExit: report.withExit,
    firstImportedEsm: report.firstImportedEsm,
    claimedBuiltins: report.claimedBuiltins,
    hasLongSource: report.hasLongSource,
    builtinsInSourceOrder: report.builtinsInSourceOrder,
    withProcess: report.withProcess,
    withStartupUse: report.withStartupUse,
    recordingFromEvents: partial.recordingFromEvents,
    placeProcesses: roles.placeProcesses,
    pickMain: roles.pickMain,
    gatherFileFacts,
    exportSpeedscope,
  };
}

function checkV8ProfilerNext(node: string, dir: string): void {
  const probe = spawnSync(node, ['-e', `require(${JSON.stringify(join(dir, 'build', 'Release', 'profiler.node'))})`], {
    stdio: 'ignore',
  });
  if (probe.status !== 0) {
    throw usageError('the v8-profiler-next sampler is not built for this Node version', 'rebuild it (npm rebuild v8-profiler-next) or use --sampler inspector');
  }
}
