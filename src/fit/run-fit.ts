/**
 * `importcost fit`: the smallest --max-old-space-size at which a program starts, and a server answers its
 * health requests, without crashing. A binary search over whole MiB between --min and --max, each size
 * tried --tries times under the watch-only agent (run-try.ts); then a profile at the minimum (what holds
 * the heap there, and what deferring would bring it down to), and `<out>/<name>.fit.json`.
 * No printing: what happens goes to `onEvent`; the result says how it ended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { summarizeAtMinimum } from '../analysis/fit-summary.js';
import { isImportcostError, usageError } from '../errors.js';
import { commandLine, entryExists, parseCommand } from '../profile/command.js';
import { ensureOutputDir } from '../profile/output-dir.js';
import { defaultName, profile } from '../profile/run-profile.js';
import { writeFileAtomically } from '../profile/write-atomically.js';
import type { Report } from '../report/format.js';
import { IMPORTCOST_VERSION } from '../version.js';
import { probeContainerMemory } from './container-memory.js';
import { FIT_SCHEMA, type FitProfile, type FitReport, type FitStep, type FitTry } from './format.js';
import { runTry, type TryOutcome } from './run-try.js';

const MiB = 1024 * 1024;

/** Defaults of `importcost fit`, and why. */
export const FIT_DEFAULTS = {
  /** Smallest size tried (MiB): a bare `node -e ''` runs in 8 here; below it almost nothing starts. */
  minMB: 8,
  /** --max defaults to this many times the heap of a first run with no limit (its heap at the end of start-up, after a full GC). */
  maxFactor: 4,
  /** Tries a size; a size passes only if every try passes (near the limit, runs of one size differ: V8's GC timing). */
  tries: 2,
  requests: 20,
  health: '/',
  requestTimeoutMs: 5000,
  /** Start-up at one size must end (listen, or exit) within this (ms). */
  timeoutMs: 30_000,
  /** Recommended sizes: the minimum and the measured resident memory, plus this fraction. */
  headroom: 0.25,
};

export interface FitOptions {
  /** As in profile: `[entry, ...args]`, `[node, ...flags, entry, ...args]`, or any command (`['npm', 'start']`). */
  command: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Output folder (created); default importcost-out. */
  out?: string;
  /** Base name of the output files; default: the entry's. */
  name?: string;
  /** Search bounds, --max-old-space-size in MiB. */
  minMB?: number;
  maxMB?: number;
  tries?: number;
  /** GET requests a server must answer at each try, and their path. */
  requests?: number;
  health?: string;
  requestTimeoutMs?: number;
  timeoutMs?: number;
  /** Fraction added to the minimum and to the resident memory for the recommendation. */
  headroom?: number;
  /** Node binary for the `[entry, ...args]` form. */
  node?: string;
  /** Profile the program at the minimum (what holds the heap there); default true. */
  profileAtMinimum?: boolean;
  /** Stop the program's tree on SIGINT/SIGTERM to this process (the CLI does). */
  forwardSignals?: boolean;
  onEvent?: (event: FitEvent) => void;
}

export type FitEvent =
  /** A first run with no heap limit, to set --max. */
  | { type: 'measure' }
  | { type: 'range'; minMB: number; maxMB: number; maxFrom: 'option' | 'profile'; profiledHeapBytes: number | null }
  /** A try begins (for a progress line). */
  | { type: 'try'; mb: number; attempt: number; tries: number; phase: FitStep['phase'] }
  /** A size is decided. */
  | { type: 'step'; step: FitStep }
  /** The profile at the minimum begins; `after`: the size it did not get through start-up at (the sampler's own heap). */
  | { type: 'profile'; atMB: number; after: number | null };

export interface FitResult {
  /** 0: a minimum was found; 1: the program did not pass even at --max (see problem); 128 + n: importcost got signal n. */
  exitCode: number;
  report: FitReport | null;
  /** `<out>/<name>.fit.json`, when written. */
  file: string | null;
  /** Why there is no minimum, in one line, with the program's last error. */
  problem: string | null;
  /** Every size tried, also when there is no minimum. */
  steps: FitStep[];
}

/** importcost got SIGINT or SIGTERM: the fit stops, with this exit code (128 + the signal's number). */
class Interrupted extends Error {
  constructor(readonly exitCode: number) {
    super('interrupted');
  }
}
const interruptedBy = (signal: NodeJS.Signals): Interrupted => new Interrupted(128 + (osConstants.signals[signal] ?? 15));

export async function fit(options: FitOptions): Promise<FitResult> {
  const startedAt = Date.now();
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const settings = settingsOf(options);
  const target = parseCommand(options.command, options.node ?? process.execPath, cwd, env.PATH);
  if (target.kind === 'node' && !entryExists(resolve(cwd, target.entry))) {
    throw usageError(`cannot find the entry file ${target.entry}`, `run it from the folder it is in, or give its path (looked in ${cwd})`);
  }
  if (target.kind === 'node' && target.nodeArgs.some((arg) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(arg))) {
    throw usageError(
      'the command sets --max-old-space-size itself',
      'drop it: fit sets the size at each step through NODE_OPTIONS, and a flag on the node command line wins over NODE_OPTIONS',
    );
  }
  const name = options.name ?? defaultName(target);
  const out = resolve(cwd, options.out ?? 'importcost-out');
  ensureOutputDir(out);
  const [file, args] = commandLine(target);
  const emit = options.onEvent ?? (() => {});
  const steps: FitStep[] = [];
  const sizeFlag = (mb: number): Record<string, string | undefined> => ({ ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${mb}`.trim() });
  // Each run takes importcost's SIGINT and SIGTERM while its program runs; between runs none does, and one
  // would kill importcost mid-way. It is noted instead, and the fit stops before its next run.
  let pending: NodeJS.Signals | null = null;
  const note = (signal: NodeJS.Signals): void => {
    pending ??= signal;
  };
  const stopIfInterrupted = (): void => {
    if (pending !== null) throw interruptedBy(pending);
  };
  if (options.forwardSignals) {
    process.on('SIGINT', note);
    process.on('SIGTERM', note);
  }

  try {
    // ---- the range ----------------------------------------------------------------------------
    let maxMB = settings.maxMB;
    let profiledHeapBytes: number | null = null;
    if (maxMB === undefined) {
      emit({ type: 'measure' });
      const first = await measureWithoutLimit(options, cwd, env, settings.timeoutMs);
      if (typeof first === 'string') return { exitCode: 1, report: null, file: null, problem: first, steps };
      profiledHeapBytes = first;
      const machineMB = Math.floor(machineMemory() / MiB);
      maxMB = Math.min(machineMB, Math.max(Math.ceil((FIT_DEFAULTS.maxFactor * first) / MiB), 2 * settings.minMB));
    }
    if (maxMB <= settings.minMB) throw usageError(`--max (${maxMB}) must be above --min (${settings.minMB})`, 'give a larger --max, or a smaller --min');
    emit({ type: 'range', minMB: settings.minMB, maxMB, maxFrom: settings.maxMB === undefined ? 'profile' : 'option', profiledHeapBytes });

    // ---- the search ---------------------------------------------------------------------------
    // What the tries have told so far: a server or a CLI (from the first try that passed), the young
    // generation's size (checkHeapLimit), the program's Node.
    const seen: { kind: 'server' | 'cli' | null; youngBytes: number | null; node: string | null } = { kind: null, youngBytes: null, node: null };
    const stepAt = async (mb: number, phase: FitStep['phase']): Promise<FitStep> => {
      const tries: TryOutcome[] = [];
      for (let attempt = 1; attempt <= settings.tries; attempt++) {
        stopIfInterrupted();
        emit({ type: 'try', mb, attempt, tries: settings.tries, phase });
        const outcome = await runTry({
          file,
          args,
          cwd,
          env,
          mb,
          kind: seen.kind,
          health: { path: settings.health, count: settings.requests, timeoutMs: settings.requestTimeoutMs },
          timeoutMs: settings.timeoutMs,
          forwardSignals: options.forwardSignals ?? false,
          // The agent only where there is room (the largest size, the recommended one): it tells the
          // program's Node and heap limit (checkHeapLimit) and holds some heap of its own; the search
          // below runs the program alone (measured: with it, examples/express-server served at 12 MiB in
          // 2 runs of 8 against 4 of 8 alone, with this health check; 2 of 10 against 7 of 10 with a
          // keep-alive client).
          agent: phase === 'recommended' || mb === maxMB,
        });
        if (outcome.interrupted !== null) throw interruptedBy(outcome.interrupted);
        seen.node ??= outcome.node;
        seen.youngBytes = checkHeapLimit(outcome, mb, seen.youngBytes);
        if (seen.kind === null && outcome.ok) seen.kind = outcome.listened ? 'server' : 'cli';
        tries.push(outcome);
        if (!outcome.ok) break;
      }
      const step = stepOf(mb, phase, tries);
      steps.push(step);
      emit({ type: 'step', step });
      return step;
    };

    const top = await stepAt(maxMB, 'search');
    if (!top.ok) return { exitCode: 1, report: null, file: null, problem: noMinimum(top, maxMB, settings, options.command), steps };
    const kind = seen.kind ?? 'cli';
    // Invariant: hi passed; lo failed, or is below --min (never tried).
    let lo = settings.minMB - 1;
    let hi = maxMB;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await stepAt(mid, 'search')).ok) hi = mid;
      else lo = mid;
    }
    const minimum = hi;

    // ---- the recommendation -------------------------------------------------------------------
    const maxOldSpaceMB = Math.ceil(minimum * (1 + settings.headroom));
    const atRecommended = maxOldSpaceMB >= maxMB ? top : await stepAt(maxOldSpaceMB, 'recommended');
    const rssSource = atRecommended.ok && atRecommended.peakRssBytes !== null ? atRecommended : top;
    const containerMB = Math.ceil(((rssSource.peakRssBytes ?? 0) / MiB) * (1 + settings.headroom));

    // ---- the profile at the minimum -----------------------------------------------------------
    let atMinimum: FitProfile | null = null;
    if (options.profileAtMinimum !== false) {
      let after: number | null = null;
      for (const atMB of [...new Set([minimum, maxOldSpaceMB])]) {
        stopIfInterrupted();
        emit({ type: 'profile', atMB, after });
        after = atMB;
        const report = await profileAt(options, cwd, sizeFlag(atMB), out, `${name}.fit-min`, settings.timeoutMs);
        if (report === null) continue;
        atMinimum = { report: shortPath(report.file, cwd), atMB, ...summarizeAtMinimum(report.report, minimum) };
        break;
      }
    }

    stopIfInterrupted();
    const report: FitReport = {
      schema: FIT_SCHEMA,
      importcost: `importcost@${IMPORTCOST_VERSION}`,
      command: options.command,
      cwd,
      createdAt: new Date(startedAt).toISOString(),
      node: seen.node,
      kind,
      minOldSpaceMB: minimum,
      atLowerBound: minimum === settings.minMB,
      search: {
        minMB: settings.minMB,
        maxMB,
        maxFrom: settings.maxMB === undefined ? 'profile' : 'option',
        profiledHeapBytes,
        tries: settings.tries,
        requests: settings.requests,
        health: settings.health,
        requestTimeoutMs: settings.requestTimeoutMs,
        timeoutMs: settings.timeoutMs,
        wallMs: Date.now() - startedAt,
      },
      steps,
      recommended: {
        maxOldSpaceMB,
        containerMB,
        headroom: settings.headroom,
        why: headroomWhy(rssSource, settings.headroom, kind, settings.requests),
      },
      atMinimum,
      container: probeContainerMemory(),
    };
    const fitFile = join(out, `${name}.fit.json`);
    writeFileAtomically(fitFile, `${JSON.stringify(report, null, 1)}\n`);
    return { exitCode: 0, report, file: fitFile, problem: null, steps };
  } catch (err) {
    if (err instanceof Interrupted) return { exitCode: err.exitCode, report: null, file: null, problem: null, steps };
    throw err;
  } finally {
    process.removeListener('SIGINT', note);
    process.removeListener('SIGTERM', note);
  }
}

type Settings = ReturnType<typeof settingsOf>;

function settingsOf(options: FitOptions) {
  const whole = (value: number | undefined, fallback: number, flag: string, least: number): number => {
    const n = value ?? fallback;
    if (!Number.isInteger(n) || n < least) throw usageError(`${flag} must be a whole number of at least ${least}, got ${n}`, `e.g. ${flag} ${fallback}`);
    return n;
  };
  const health = options.health ?? FIT_DEFAULTS.health;
  if (!health.startsWith('/')) throw usageError(`--health must be a path starting with /, got "${health}"`, 'e.g. --health /healthz');
  const headroom = options.headroom ?? FIT_DEFAULTS.headroom;
  if (!(headroom >= 0 && headroom <= 10)) throw usageError(`--headroom must be a fraction between 0 and 10, got ${headroom}`, 'e.g. --headroom 0.25 for 25%');
  return {
    minMB: whole(options.minMB, FIT_DEFAULTS.minMB, '--min', 1),
    maxMB: options.maxMB === undefined ? undefined : whole(options.maxMB, 0, '--max', 2),
    tries: whole(options.tries, FIT_DEFAULTS.tries, '--tries', 1),
    requests: whole(options.requests, FIT_DEFAULTS.requests, '--requests', 1),
    health,
    requestTimeoutMs: options.requestTimeoutMs ?? FIT_DEFAULTS.requestTimeoutMs,
    timeoutMs: options.timeoutMs ?? FIT_DEFAULTS.timeoutMs,
    headroom,
  };
}

/** The machine's memory (bytes): the smaller of its RAM and the limit of the cgroup importcost runs in. */
function machineMemory(): number {
  const total = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * The program's heap limit is its old space (the size) plus a young generation of a fixed size for a
 * given Node (48 MiB on Node 20 and 22, 192 on 24, 96 on 26, measured). Where the limit does not move
 * with the size, the program sets its own (on the node command line of an npm script, say), and no
 * search can work: a known error. Returns the young generation's size, as first seen.
 */
function checkHeapLimit(outcome: TryOutcome, mb: number, youngBytes: number | null): number | null {
  if (outcome.heapLimitBytes === null) return youngBytes;
  const young = outcome.heapLimitBytes - mb * MiB;
  if (young < 0 || (youngBytes !== null && Math.abs(young - youngBytes) > MiB)) {
    throw usageError(
      `the program's heap limit does not follow --max-old-space-size (${(outcome.heapLimitBytes / MiB).toFixed(0)} MiB at ${mb} MiB): it sets its own`,
      'remove --max-old-space-size from its node command line (or npm script): fit sets it through NODE_OPTIONS, and the command line wins',
    );
  }
  return youngBytes ?? young;
}

function stepOf(mb: number, phase: FitStep['phase'], outcomes: TryOutcome[]): FitStep {
  const tries: FitTry[] = outcomes.map(({ listened: _l, interrupted: _i, node: _n, ...rest }) => rest);
  const failed = tries.find((t) => !t.ok);
  const rss = tries.map((t) => t.peakRssBytes).filter((v): v is number => v !== null);
  const starts = tries
    .map((t) => t.startMs)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  return {
    mb,
    phase,
    ok: failed === undefined,
    reason: failed ? failed.reason : `${tries[0]!.reason}${tries.length > 1 ? `, each of ${tries.length} tries` : ''}`,
    failure: failed?.failure ?? null,
    peakRssBytes: rss.length > 0 ? Math.max(...rss) : null,
    startMs: starts.length > 0 ? starts[Math.floor((starts.length - 1) / 2)]! : null,
    tries,
  };
}

/** The one line for a program that did not pass at the largest size. */
function noMinimum(step: FitStep, maxMB: number, settings: Settings, command: string[]): string {
  const failed = step.tries.find((t) => !t.ok)!;
  const at = `at --max ${maxMB} MiB`;
  if (failed.failure === 'request-timeout') {
    return `GET ${settings.health} never answered ${at}: no whole answer within ${settings.requestTimeoutMs} ms to request ${failed.requests.sent} (the server listened); check --health, or raise --request-timeout`;
  }
  if (failed.failure === 'server-error') {
    return `GET ${settings.health} ${failed.reason.replace(/^request \d+ of \d+: /, '')} ${at}: give --health a path that answers below 500`;
  }
  const error = failed.lastError ? `; last error: ${failed.lastError}` : '';
  return `${command.join(' ')} does not start and pass even ${at}: ${failed.reason}${error}`;
}

/** Why the headroom, with what this run measured. */
function headroomWhy(rssStep: FitStep, headroom: number, kind: 'server' | 'cli', requests: number): string {
  const pct = `${Math.round(headroom * 100)}%`;
  const work = kind === 'server' ? `${requests} requests one at a time; real traffic holds more at once` : 'one run on its input; other inputs may hold more';
  const rss = rssStep.peakRssBytes !== null ? `${(rssStep.peakRssBytes / MiB).toFixed(1)} MiB resident at its peak at ${rssStep.mb} MiB` : 'its resident memory';
  return (
    `${pct} over the minimum: the minimum is an edge, measured with ${work}, heaps grow as a program runs, and near ` +
    `its limit V8 collects garbage all the time. The container gets ${pct} over ${rss}, for the young generation, ` +
    `code and buffers that more load adds beside the old space.`
  );
}

/** The first run, with no limit and no sampling: its heap at the end of start-up (bytes), or why it failed. */
async function measureWithoutLimit(options: FitOptions, cwd: string, env: Record<string, string | undefined>, timeoutMs: number): Promise<number | string> {
  const command = options.command.join(' ');
  const out = mkdtempSync(join(tmpdir(), 'importcost-fit-first-'));
  try {
    const result = await profile({
      command: options.command,
      cwd,
      env,
      node: options.node,
      out,
      sampler: 'none',
      until: 'listening',
      timeoutMs,
      stdio: 'ignore',
      forwardSignals: options.forwardSignals,
    });
    const report = result.report;
    if (result.end === 'interrupted') throw new Interrupted(result.exitCode);
    const stop = report.stop;
    if (report.totals.heap !== 'end-of-startup' || stop.reason === 'crash' || (stop.reason === 'exit' && stop.exitCode !== 0)) {
      return `${command} does not start even without a heap limit: ${stop.error ?? `it ended (${stop.reason}, code ${stop.exitCode ?? '-'})`}`;
    }
    if (stop.reason !== 'listening' && stop.reason !== 'exit') return `${command} neither listened nor exited within ${timeoutMs} ms without a heap limit`;
    return report.totals.heapBytes;
  } catch (err) {
    if (isImportcostError(err) && err.kind === 'target') return `${command} does not start even without a heap limit: ${err.message}`;
    throw err;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A profile (with the sampler) at one size, written to `<out>/<name>...`; null where it did not get through start-up there. */
async function profileAt(
  options: FitOptions,
  cwd: string,
  env: Record<string, string | undefined>,
  out: string,
  name: string,
  timeoutMs: number,
): Promise<{ report: Report; file: string } | null> {
  try {
    const result = await profile({ command: options.command, cwd, env, node: options.node, out, name, until: 'listening', timeoutMs, stdio: 'ignore', forwardSignals: options.forwardSignals });
    if (result.end === 'interrupted') throw new Interrupted(result.exitCode);
    const stop = result.report.stop;
    const whole = result.report.totals.heap === 'end-of-startup' && (stop.reason === 'listening' || (stop.reason === 'exit' && stop.exitCode === 0));
    return whole ? { report: result.report, file: result.files.report } : null;
  } catch (err) {
    if (isImportcostError(err) && err.kind === 'target') return null;
    throw err;
  }
}

const shortPath = (file: string, cwd: string): string => {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
};
