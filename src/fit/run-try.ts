/**
 * One try of `importcost fit`: run the command at one --max-old-space-size, alone or under the watch-only
 * agent (src/agent/watch.cts), wait for the end of its start-up (a listening socket, or its exit), send a
 * server its health requests while it keeps running, then stop the whole tree (supervise.ts) and say
 * whether it passed, and why not. No printing; nothing is left running.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentConfig } from '../agent/types.cjs';
import type { AgentTrack } from '../profile/agent-events.js';
import { nodeOptionsWithAgent } from '../profile/command.js';
import { DEFAULTS } from '../profile/defaults.js';
import { isAlive } from '../profile/process-tree.js';
import { readTail } from '../profile/read-tail.js';
import { supervise } from '../profile/supervise.js';
import type { FitFailure, FitTry } from './format.js';
import { checkHealth, type HealthResult } from './health-check.js';
import { canSeeSockets, findListening } from './listening-sockets.js';
import type { ListenAddress } from '../recording/format.js';

/** What `--require` loads in each Node process of the command at a step: the watch-only agent. */
export const WATCH_AGENT_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'agent', 'watch.cjs');

/** Signals that mean the program crashed, even after importcost asked it to stop (V8 aborts on out-of-memory with SIGABRT or SIGTRAP). */
const FATAL_SIGNALS = new Set(['SIGABRT', 'SIGTRAP', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE']);
/**
 * What V8 and Node print when the heap runs out: "FATAL ERROR: Reached heap limit Allocation failed -
 * JavaScript heap out of memory" (Node 20, 22, 24 and 26, measured), or V8's "Fatal JavaScript out of memory".
 */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Fatal JavaScript out of memory|Reached heap limit/;
/** Bytes of the program's output read back, from its end, for its last error. */
const OUTPUT_TAIL = 64 * 1024;

export interface TryOptions {
  /** What to spawn: the node binary or the command's program, and its arguments. */
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** --max-old-space-size (MiB). */
  mb: number;
  /** `server`: it must listen; `cli`: exiting with 0 passes; null: not known yet (either passes). */
  kind: 'server' | 'cli' | null;
  health: { path: string; count: number; timeoutMs: number };
  /** Start-up must end within this (ms). */
  timeoutMs: number;
  forwardSignals: boolean;
  /**
   * Run the watch-only agent in the program (it tells the program's Node version and heap limit). Without
   * it (fit's search steps, where the program's heap should be all its own), the end of a server's
   * start-up is its first listening socket, seen in /proc; where /proc does not show sockets, the agent
   * runs anyway.
   */
  agent: boolean;
}

export interface TryOutcome extends FitTry {
  /** It listened (so it is a server). */
  listened: boolean;
  /** importcost itself got this signal: the fit stops. */
  interrupted: NodeJS.Signals | null;
  /** The program's Node version. */
  node: string | null;
}

let visible: boolean | null = null;
/** Whether /proc shows the program's sockets here (asked once). */
export function socketsVisible(): boolean {
  return (visible ??= canSeeSockets());
}

export async function runTry(options: TryOptions): Promise<TryOutcome> {
  const work = mkdtempSync(join(tmpdir(), 'importcost-fit-'));
  const outputFile = join(work, 'output.log');
  const output = openSync(outputFile, 'w');
  try {
    const config: AgentConfig = {
      dir: work,
      cliPid: process.pid,
      sampleInterval: DEFAULTS.sampleInterval,
      deterministic: false,
      exact: false,
      stackDepth: DEFAULTS.stackDepth,
      sampler: 'none',
      v8ProfilerDir: null,
      // A server's start-up ends at its first listen(), at once (no settle time); a CLI's at its exit.
      until: 'listening',
      settleMs: 0,
      idleMs: DEFAULTS.idleMs,
      timeoutMs: options.timeoutMs,
    };
    // The size goes last in NODE_OPTIONS, after the agent and the user's own options: where NODE_OPTIONS
    // names the flag twice, the last one wins (a flag on the node command line wins over both).
    const size = `--max-old-space-size=${options.mb}`;
    const sockets = socketsVisible();
    const env = options.agent || !sockets
      ? { ...options.env, NODE_OPTIONS: `${nodeOptionsWithAgent(WATCH_AGENT_PATH, options.env.NODE_OPTIONS)} ${size}`, IMPORTCOST_AGENT: JSON.stringify(config) }
      : { ...options.env, NODE_OPTIONS: `${options.env.NODE_OPTIONS ?? ''} ${size}`.trim() };
    const started = Date.now();
    // What is seen while the program runs: the command's processes (at the last tick), their peak RSS,
    // where and when it listened, the health check, and whether every process lived through it.
    const seen = {
      pids: [] as number[],
      peaks: new Map<number, number>(),
      address: null as ListenAddress | null,
      listenedAtMs: null as number | null,
      health: null as HealthResult | null,
      stillAlive: true,
    };
    const notePeaks = (pids: number[]): void => {
      seen.pids = pids;
      for (const pid of pids) {
        const hwm = peakRss(pid);
        if (hwm !== null) seen.peaks.set(pid, Math.max(seen.peaks.get(pid) ?? 0, hwm));
      }
    };
    const lookForListen = (pids: number[]): boolean => {
      if (seen.address === null) seen.address = findListening(pids);
      if (seen.address !== null) seen.listenedAtMs ??= Date.now() - started;
      return seen.address !== null;
    };
    const run = await supervise({
      file: options.file,
      args: options.args,
      cwd: options.cwd,
      env,
      stdio: { output },
      dir: work,
      timeoutMs: options.timeoutMs,
      graceMs: DEFAULTS.graceMs,
      forwardSignals: options.forwardSignals,
      onTick: (_agents, _ms, pids) => notePeaks(pids()),
      startupOver: sockets ? lookForListen : undefined,
      onStartup: async (agents, ended) => {
        const listener = programOf(agents).find((track) => track.listen !== null);
        // The agent's rule may end start-up first (it runs at --max and at the recommended size): the
        // socket is there by then; where /proc shows none, the agent's own address.
        if (!(sockets && lookForListen(seen.pids)) && listener) {
          seen.address = listener.listen;
          seen.listenedAtMs = Math.max(0, listener.hello!.startedAt + listener.listen!.atMs - started);
        }
        if (seen.address === null) return;
        const running = seen.pids;
        seen.health = await checkHealth(seen.address, { ...options.health, ended });
        notePeaks(running.filter((pid) => isAlive(pid)));
        seen.stillAlive = !ended.aborted && running.every((pid) => isAlive(pid));
      },
    });
    const endedAfterMs = Date.now() - started;
    const log = readTail(outputFile, OUTPUT_TAIL).text;
    const main = programOf(run.agents).find((track) => track.listen !== null) ?? programOf(run.agents)[0] ?? null;
    const listened = seen.address !== null;
    const verdict = judge({
      listened,
      kind: options.kind,
      health: seen.health,
      stillAlive: seen.stillAlive,
      end: run.end,
      root: run.root,
      log,
      requests: options.health.count,
      timeoutMs: options.timeoutMs,
    });
    let peakRssBytes: number | null = null;
    for (const bytes of seen.peaks.values()) peakRssBytes = (peakRssBytes ?? 0) + bytes;
    let startMs: number | null = null;
    if (listened) startMs = seen.listenedAtMs;
    else if (verdict.ok && run.end === 'exit') startMs = endedAfterMs;
    return {
      ...verdict,
      lastError: lastErrorOf(log),
      peakRssBytes,
      startMs,
      requests: { sent: seen.health?.sent ?? 0, ok: seen.health?.ok ?? 0 },
      exit: { code: run.root.code, signal: run.root.signal },
      heapLimitBytes: main?.hello?.heapLimitBytes ?? null,
      listened,
      interrupted: run.end === 'interrupted' ? (run.interrupt ?? 'SIGTERM') : null,
      node: main?.hello?.node ?? null,
    };
  } finally {
    closeSync(output);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The command's Node processes that run the program (not npm's or another launcher's own), main threads. */
function programOf(agents: ReadonlyMap<string, AgentTrack>): AgentTrack[] {
  return [...agents.values()].filter((t) => t.hello !== null && t.hello.process.launcher === null && t.hello.process.threadId === 0);
}

interface Facts {
  listened: boolean;
  kind: TryOptions['kind'];
  health: HealthResult | null;
  stillAlive: boolean;
  end: 'startup' | 'exit' | 'watchdog' | 'interrupted';
  root: { code: number | null; signal: NodeJS.Signals | null };
  log: string;
  requests: number;
  timeoutMs: number;
}

/** Whether the try passed, and why not: pure, from what was seen. */
export function judge(f: Facts): { ok: boolean; failure: FitFailure | null; reason: string } {
  const fail = (failure: FitFailure, reason: string) => ({ ok: false, failure, reason });
  const served = f.health ? `after ${f.health.ok} of ${f.requests} requests` : 'after it listened';
  const when = f.listened ? served : f.kind === 'server' ? 'before it listened' : f.kind === 'cli' ? 'before it exited' : 'during start-up';
  if (f.end === 'interrupted') return fail('crash', 'importcost was interrupted');
  // Out of memory is what the program printed; it counts even where it came as importcost stopped it.
  if (OUT_OF_MEMORY.test(f.log)) return fail('out-of-memory', `out of memory ${when}`);
  const died = f.root.signal !== null && FATAL_SIGNALS.has(f.root.signal) ? `killed by ${f.root.signal}` : null;
  if (f.end === 'watchdog') return fail('start-timeout', `start-up did not end within ${f.timeoutMs} ms`);
  if (f.listened && f.end === 'startup') {
    if (died !== null || !f.stillAlive) return fail('crash', `${died ?? 'ended'} ${served}`);
    const health = f.health!;
    if (health.failure !== null) return fail(health.failure, `request ${health.sent} of ${f.requests}: ${health.detail}`);
    return { ok: true, failure: null, reason: `served ${health.ok} of ${f.requests}` };
  }
  if (f.end === 'startup') return fail('start-timeout', `neither listened nor exited within ${f.timeoutMs} ms`);
  // The root ended by itself.
  const how = f.root.signal !== null ? `killed by ${f.root.signal}` : `exited with code ${f.root.code}`;
  if (f.root.code === 0 && f.root.signal === null) {
    if (f.listened) return fail('crash', `exited with code 0 ${served}`);
    if (f.kind === 'server') return fail('no-listen', 'exited with code 0 before it listened');
    return { ok: true, failure: null, reason: 'exited with code 0' };
  }
  return fail('crash', `${how} ${when}`);
}

/** The program's last error: the out-of-memory line, else the last line that names an Error (not a stack frame). */
export function lastErrorOf(log: string): string | null {
  const lines = log.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const fatal = lines.find((line) => OUT_OF_MEMORY.test(line));
  if (fatal !== undefined) return fatal.slice(0, 300);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.startsWith('at ') && /(^|\s)(\w*Error|Error \[\w+\])[:\s]|^\w*Error$/.test(line)) return line.slice(0, 300);
  }
  return null;
}


/** A process's peak resident set so far (VmHWM, bytes), or null where /proc does not tell. */
function peakRss(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
