/**
 * Run a target under the agent, wait for its recording, and build the report. No printing: progress
 * goes to the `onProgress` callback, results are returned, failures are thrown as ImportcostError.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outputError, targetError, usageError } from '../errors.js';
import type { PreparedReport } from '../analysis/build-report.js';
import type { Recording, RecordingHeap, RecordingModules } from '../recording/format.js';
import { RECORDING_SCHEMA } from '../recording/format.js';
import type { Report } from '../report/format.js';
import { DEFAULTS } from './defaults.js';
import { IMPORTCOST_VERSION } from '../version.js';

const here = dirname(fileURLToPath(import.meta.url));
/** What the target's `--require` loads: the agent, on the main thread only (agent/preload.cts). */
export const AGENT_PATH = join(here, '..', 'agent', 'preload.cjs');

export type Until = 'auto' | 'exit' | 'listening' | 'idle' | number;

export interface ProfileOptions {
  /** `[entry, ...args]`, or `[node, ...nodeFlags, entry, ...args]` to choose node and its flags. */
  command: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Output directory (created). */
  out?: string;
  /** Base name of the output files; default: the entry's base name without extension. */
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
  sampler?: 'inspector' | 'v8-profiler-next';
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
  /** Forward SIGINT/SIGTERM received by this process to the target (the CLI does). */
  forwardSignals?: boolean;
  /**
   * v8.cachedDataVersionTag() of a node started with no flags (the CLI reads its own, when it has none).
   * Where the target's tag matches, V8 accepts Node's built-in code cache there, and the agent keeps it
   * usable for the built-ins the program loads (src/agent/agent.cts). Unset: it does not try.
   */
  codeCacheTag?: number;
  onProgress?: (message: string) => void;
}

export interface ProfileResult {
  report: Report;
  files: { report: string; speedscope: string };
  /** What importcost should exit with: the target's own code when it ended by itself. */
  exitCode: number;
}

interface Target {
  node: string;
  nodeArgs: string[];
  entry: string | null;
  args: string[];
}

/** Node flags that take their value as the next argument (so the entry is found after them). */
const FLAGS_WITH_VALUE = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file',
  '--input-type', '--title', '--inspect-port', '--max-old-space-size', '--stack-size', '--watch-path',
  '--experimental-default-type', '--disable-warning', '--redirect-warnings', '--env-file-if-exists',
]);

function looksLikeNode(word: string): boolean {
  return /(^|\/)node(\d+)?(\.exe)?$/.test(word);
}

export function parseCommand(command: string[], nodeBinary: string): Target {
  if (command.length === 0) throw usageError('no program to profile', 'give an entry file: importcost profile server.js');
  if (!looksLikeNode(command[0]!)) return { node: nodeBinary, nodeArgs: [], entry: command[0]!, args: command.slice(1) };
  const nodeArgs: string[] = [];
  let i = 1;
  for (; i < command.length; i++) {
    const word = command[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-')) break;
    nodeArgs.push(word);
    if (word === '-e' || word === '--eval' || word === '-p' || word === '--print') {
      throw usageError(`node ${word} is not supported`, 'write the code to a file and profile that file');
    }
    if (FLAGS_WITH_VALUE.has(word) && i + 1 < command.length) nodeArgs.push(command[++i]!);
  }
  if (i >= command.length) throw usageError('no entry file after the node flags', 'e.g. importcost profile -- node --import tsx src/server.ts');
  return { node: command[0]!, nodeArgs, entry: command[i]!, args: command.slice(i + 1) };
}

/** Node finds `server` as server.js, server.json, server.node, or server/index.js. */
function entryExists(file: string): boolean {
  if (existsSync(file) && statSync(file).isFile()) return true;
  return ['.js', '.json', '.node', '/index.js'].some((ext) => existsSync(file + ext));
}

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

export async function profile(options: ProfileOptions): Promise<ProfileResult> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const target = parseCommand(options.command, options.node ?? process.execPath);
  const sampler = options.sampler ?? 'inspector';
  if (options.stackDepth !== undefined && sampler !== 'v8-profiler-next') {
    throw usageError('--stack-depth needs --sampler v8-profiler-next', "the inspector's sampler always keeps 128 frames; drop --stack-depth or add --sampler v8-profiler-next");
  }
  const entryPath = resolve(cwd, target.entry!);
  if (!entryExists(entryPath)) {
    throw usageError(`cannot find the entry file ${target.entry}`, `run it from the folder it is in, or give its path (looked in ${cwd})`);
  }
  const name = options.name ?? (basename(target.entry!, extname(target.entry!)) || 'profile');
  const out = resolve(cwd, options.out ?? DEFAULTS.out);
  try {
    mkdirSync(out, { recursive: true });
    accessSync(out, constants.W_OK);
  } catch (err) {
    throw outputError(`cannot write to ${out} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'choose another folder with --out');
  }
  const v8ProfilerDir = sampler === 'v8-profiler-next' ? v8ProfilerNextDir(cwd) : null;
  if (v8ProfilerDir !== null) checkV8ProfilerNext(target.node, v8ProfilerDir);

  const work = mkdtempSync(join(tmpdir(), 'importcost-'));
  const recordingPath = join(work, 'recording.json');
  const modulesPath = join(work, 'recording.modules.json');
  const until = options.until ?? 'auto';
  const config = {
    recording: recordingPath,
    modules: modulesPath,
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
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    codeCacheTag: options.codeCacheTag ?? null,
    fd: 3,
  };
  // The agent goes first, so its hooks see the user's own --require and --import modules load too.
  const args = ['--require', AGENT_PATH, ...target.nodeArgs, target.entry!, ...target.args];
  options.onProgress?.(`profiling ${[target.entry, ...target.args].join(' ')} (until ${until})`);
  // The agent writes the recording in two parts, each written, then renamed, then announced on fd 3:
  // "modules" (everything but the heap), then "done" (the heap). What of the report does not need the heap
  // (packages, import sites, names, the graph) is built while the agent reads the profile (its GC, V8's
  // translation, the inspector's JSON) and writes it; the rest once it is done. The report and the flamegraph
  // are built while the target is still exiting (25 ms for the bench's 200 MB heap, longer when it is
  // stopped with SIGTERM), and take the exit as the target ends. Anything that fails early is simply
  // redone after the target has ended.
  const files = { report: join(out, `${name}.importcost.json`), speedscope: join(out, `${name}.speedscope.json`) };
  const readJson = <T>(file: string): T => {
    const value = JSON.parse(readFileSync(file, 'utf8')) as T & { schema: string };
    if (value.schema !== RECORDING_SCHEMA) throw new Error(`agent wrote ${value.schema}, expected ${RECORDING_SCHEMA}`);
    return value;
  };
  /** The whole recording: both parts. */
  const readRecording = (): Recording => ({ ...readJson<RecordingModules>(modulesPath), ...readJson<RecordingHeap>(recordingPath) });
  const buildAll = (analysis: Analysis, prepared: PreparedReport, rest: RecordingHeap, exit?: Exit): Report => {
    const report = analysis.finishReport(prepared, rest, { importcost: IMPORTCOST_VERSION, command: options.command, exit });
    writeFileSync(files.speedscope, JSON.stringify(analysis.exportSpeedscope(report, name)));
    return report;
  };
  let first: Promise<PreparedReport | null> = Promise.resolve(null);
  let early: Promise<Report | null> = Promise.resolve(null);
  try {
    // The target starts first and the analysis's modules load while it runs: the whole command's wall
    // time counts from importcost's own start.
    let analysis!: Promise<Analysis>;
    const running = runTarget(target.node, args, {
      cwd,
      env: { ...env, IMPORTCOST_AGENT: JSON.stringify(config) },
      stdio: options.stdio ?? 'inherit',
      forwardSignals: options.forwardSignals ?? false,
      graceMs: DEFAULTS.graceMs,
      onModules: () => {
        first = analysis.then((loaded) => loaded.prepareReport(readJson<RecordingModules>(modulesPath), loaded.gatherFileFacts)).catch(() => null);
      },
      onDone: () => {
        early = Promise.all([analysis, first])
          .then(([loaded, prepared]) => {
            if (!prepared) throw new Error('no first part');
            return buildAll(loaded, prepared, readJson<RecordingHeap>(recordingPath));
          })
          .catch(() => null);
      },
    });
    // (Handled below; this only keeps a failed spawn from counting as unhandled while the modules load.)
    running.catch(() => {});
    analysis = loadAnalysis();
    const loaded = await analysis;
    const ended = await running;
    if (!existsSync(recordingPath)) {
      const how = ended.signal ? `was killed by ${ended.signal}` : `exited with code ${ended.code}`;
      throw targetError(
        `the target ${how} before importcost could record anything`,
        ended.signal === 'SIGKILL' ? 'SIGKILL cannot be caught; if it ran out of memory, raise its limit' : 'check that it runs with plain node',
      );
    }
    if (env.IMPORTCOST_KEEP_RECORDING) writeFileSync(env.IMPORTCOST_KEEP_RECORDING, JSON.stringify(readRecording()));
    const exit = { exitCode: ended.code, signal: ended.signal };
    const built = await early;
    let report: Report;
    if (built) {
      report = loaded.withExit(built, exit);
    } else {
      const recording = readRecording();
      report = buildAll(loaded, loaded.prepareReport(recording, loaded.gatherFileFacts), recording, exit);
    }
    writeFileSync(files.report, `${JSON.stringify(report, null, 1)}\n`);
    return { report, files, exitCode: exitCodeFor(report.stop.reason, ended) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

type Exit = { exitCode: number | null; signal: string | null };

interface Analysis {
  prepareReport: typeof import('../analysis/build-report.js').prepareReport;
  finishReport: typeof import('../analysis/build-report.js').finishReport;
  withExit: typeof import('../analysis/build-report.js').withExit;
  gatherFileFacts: typeof import('./file-facts.js').gatherFileFacts;
  exportSpeedscope: typeof import('../exporters/speedscope.js').exportSpeedscope;
}

async function loadAnalysis(): Promise<Analysis> {
  const [{ prepareReport, finishReport, withExit }, { gatherFileFacts }, { exportSpeedscope }] = await Promise.all([
    import('../analysis/build-report.js'),
    import('./file-facts.js'),
    import('../exporters/speedscope.js'),
  ]);
  return { prepareReport, finishReport, withExit, gatherFileFacts, exportSpeedscope };
}

/** The target's own exit code when it ended by itself; 0 when importcost stopped it after start-up. */
function exitCodeFor(reason: Report['stop']['reason'], ended: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (reason === 'listening' || reason === 'idle' || reason === 'timeout') return 0;
  if (ended.signal) return 128 + (signalNumber(ended.signal) ?? 1);
  return ended.code ?? 1;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return (
    { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>
  )[signal];
}

function checkV8ProfilerNext(node: string, dir: string): void {
  const probe = spawnSync(node, ['-e', `require(${JSON.stringify(join(dir, 'build', 'Release', 'profiler.node'))})`], {
    stdio: 'ignore',
  });
  if (probe.status !== 0) {
    throw usageError('the v8-profiler-next sampler is not built for this Node version', 'rebuild it (npm rebuild v8-profiler-next) or use --sampler inspector');
  }
}

interface RunOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  stdio: 'inherit' | 'ignore';
  forwardSignals: boolean;
  graceMs: number;
  /** Called once, when the agent announces the first part of the recording (everything but the heap). */
  onModules?: () => void;
  /** Called once, when the agent announces that the recording is on disk (the target may still be exiting). */
  onDone?: () => void;
}

/**
 * Spawn the target with a pipe on fd 3. The agent writes `done <reason>` there once the recording is on
 * disk; if the target is still running then (a server after start-up), it is stopped: SIGTERM, then
 * SIGKILL after a grace period.
 */
function runTarget(node: string, args: string[], options: RunOptions): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(node, args, { cwd: options.cwd, env: options.env, stdio: [options.stdio, options.stdio, options.stdio, 'pipe'] });
    } catch (err) {
      reject(targetError(`cannot start ${node}: ${(err as Error).message}`, 'check the node binary'));
      return;
    }
    let killTimer: NodeJS.Timeout | undefined;
    const control = child.stdio[3] as NodeJS.ReadableStream | null;
    let announced = false;
    let modulesAnnounced = false;
    control?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (/done (listening|idle|timeout)/.test(text) && child.exitCode === null) {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), options.graceMs);
        killTimer.unref();
      }
      if (!modulesAnnounced && /^modules$/m.test(text)) {
        modulesAnnounced = true;
        options.onModules?.();
      }
      if (!announced && /done /.test(text)) {
        announced = true;
        options.onDone?.();
      }
    });
    control?.on('error', () => {});
    // A terminal's Ctrl-C reaches the whole process group, target included; forward only what the
    // target cannot have seen, so a program that counts its SIGINTs sees one.
    const forward = (signal: NodeJS.Signals) => () => {
      if (signal === 'SIGINT' && process.stdin.isTTY) return;
      child.kill(signal);
    };
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    if (options.forwardSignals) {
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    }
    child.on('error', (err) => {
      reject(targetError(`cannot start ${node}: ${err.message}`, 'check that node is on the PATH'));
    });
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      resolvePromise({ code, signal });
    });
  });
}
