/**
 * Run the command and watch it from outside: every agent's event stream, the process tree, the time. It
 * decides when the run is over and stops what the command started; nothing it waits for is unbounded.
 *
 * The run is over when:
 * - start-up is over: every Node process and thread of the program that is still running has finished
 *   recording (each by its own rule: listening, idle, exit, timeout), and at least one has. Launchers
 *   (npm's own process, npx's...) do not count: they only start the program. Where `afterStartup` is
 *   given, the program runs on until the promise it returns settles (`importcost defer` sends a request);
 * - or the command's root process exited, and nothing of the program is still recording;
 * - or the watchdog: --timeout plus WATCHDOG_GRACE_MS passed (a target that blocks its event loop never
 *   runs its agent's own timer);
 * - or importcost itself got SIGINT or SIGTERM.
 * Then every process of the tree gets SIGTERM (an agent still recording writes what it has), and SIGKILL
 * after the grace period.
 *
 * With `onStartup` (importcost fit), the end of start-up does not stop the tree at once: the caller gets
 * it while the program keeps running (to send it requests), and the tree is stopped when its promise
 * settles. The watchdog does not apply meanwhile: the caller bounds its own wait. With `startupOver`,
 * the caller can also tell the end of start-up itself, from the tree's pids (fit's steps that run with
 * no agent look for a listening socket).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { targetError } from '../errors.js';
import { AgentEvents, type AgentTrack } from './agent-events.js';
import { isAlive, ProcessTree } from './process-tree.js';

/** After --timeout, the agents' own timers have this long to end the run before the watchdog does (ms). */
export const WATCHDOG_GRACE_MS = 2000;
/** How often the streams and the tree are read (ms); fs.watch wakes it sooner when a stream grows. */
const POLL_MS = 50;
/** How often the process tree is walked for new descendants (ms): for a child that is orphaned before the end (agents say their own pids). */
const TREE_MS = 1000;
/** A worker thread's agent writes every 100 ms while it records: silent this long, it has ended (ms). */
const THREAD_SILENT_MS = 1000;
/** After SIGKILL, how long to wait for the root's exit before giving up on it (ms). */
const AFTER_KILL_MS = 2000;
/** An agent that stopped for one of these reasons saw its start-up end (the others: its process is ending). */
const STARTUP_OVER = new Set(['listening', 'idle', 'timeout']);
/** Linux: the root dies with importcost (prctl PR_SET_PDEATHSIG through util-linux's setpriv, which execs it). */
const SETPRIV = '/usr/bin/setpriv';

export type RunEnd = 'startup' | 'exit' | 'watchdog' | 'interrupted';

export interface SuperviseOptions {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** The target's output: passed through, dropped, or written to this file descriptor (stdout and stderr both). */
  stdio: 'inherit' | 'ignore' | { output: number };
  /** The work folder the agents write into. */
  dir: string;
  timeoutMs: number;
  /** SIGTERM, then SIGKILL after this long (ms). */
  graceMs: number;
  /** Stop the tree on SIGINT/SIGTERM to this process (the CLI does). */
  forwardSignals: boolean;
  /** `NAME=value` in the environment of every process the command starts (and of no other): found by it when the run ends, in the tree or not. */
  envEntry?: string;
  /** An agent's first part of the recording is on disk (the report can be started). */
  onModules?: (track: AgentTrack) => void;
  /** An agent's whole recording is on disk. */
  onDone?: (track: AgentTrack) => void;
  /** After each read of the streams; `pids()`: the command's processes still running (the root first). */
  onTick?: (agents: ReadonlyMap<string, AgentTrack>, elapsedMs: number, pids: () => number[]) => void;
  /** Start-up is over when this says so (as well as by the agents' rule), asked at each tick with the running pids. */
  startupOver?: (pids: number[]) => boolean;
  /**
   * Start-up is over and the program still runs: the tree is stopped (end `startup`) once the returned
   * promise settles, not before. `ended` aborts when the root exits, or importcost is interrupted,
   * meanwhile. The caller must settle it within a bound of its own (the watchdog is off while it waits).
   */
  onStartup?: (agents: ReadonlyMap<string, AgentTrack>, ended: AbortSignal) => Promise<void>;
  /**
   * onStartup without the signal (importcost defer: its request to the server): the program keeps running
   * until this settles; the caller bounds its wait (the watchdog is off meanwhile). If the root exits
   * meanwhile, the run ends as an exit.
   */
  afterStartup?: (agents: ReadonlyMap<string, AgentTrack>) => Promise<unknown>;
}

export interface Supervised {
  root: { pid: number; code: number | null; signal: NodeJS.Signals | null };
  end: RunEnd;
  /** The signal importcost got, when end is `interrupted`. */
  interrupt: NodeJS.Signals | null;
  agents: ReadonlyMap<string, AgentTrack>;
  /** Keys of the agents whose process was gone, or whose thread had gone silent, before they finished. */
  vanished: ReadonlySet<string>;
  /** Keys of the agents still recording when the watchdog fired. */
  blocked: ReadonlySet<string>;
}

export function supervise(options: SuperviseOptions): Promise<Supervised> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    // A process group of its own lets the whole tree be signalled at once, orphans included. Not when
    // stdin is a terminal: a background group that reads it would be stopped (SIGTTIN), and a terminal's
    // Ctrl-C reaches the target's group directly.
    const detached = options.stdio !== 'inherit' || !process.stdin.isTTY;
    const wrap = process.platform === 'linux' && existsSync(SETPRIV);
    const [file, args] = wrap ? [SETPRIV, ['--pdeathsig', 'KILL', '--', options.file, ...options.args]] : [options.file, options.args];
    const stdio: StdioOptions = typeof options.stdio === 'string' ? options.stdio : ['ignore', options.stdio.output, options.stdio.output];
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio, detached });
    } catch (err) {
      reject(targetError(`cannot start ${options.file}: ${(err as Error).message}`, 'check the command'));
      return;
    }
    if (child.pid === undefined) {
      child.on('error', (err) => reject(targetError(`cannot start ${options.file}: ${err.message}`, 'check the command and that it is on the PATH')));
      return;
    }
    const rootPid = child.pid;
    const tree = new ProcessTree(rootPid, detached ? rootPid : null, options.envEntry ?? null);
    const events = new AgentEvents(options.dir);
    const announced = { modules: new Set<string>(), done: new Set<string>() };
    const vanished = new Set<string>();
    const blocked = new Set<string>();
    let rootExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let end: RunEnd | null = null;
    let interrupt: NodeJS.Signals | null = null;
    let lastTreeWalk = 0;
    let killTimer: NodeJS.Timeout | undefined;
    let finalTimer: NodeJS.Timeout | undefined;
    /** Set while onStartup's promise is pending: aborted when the root exits or importcost is interrupted. */
    let held: AbortController | null = null;

    const elapsed = (): number => performance.now() - started;
    const processAlive = (track: AgentTrack): boolean => {
      const pid = track.hello?.process.pid;
      if (pid === undefined) return false;
      return pid === rootPid ? rootExit === null : isAlive(pid);
    };
    /** Still recording, and still there: the run waits for it. */
    const recording = (track: AgentTrack, now: number): boolean => {
      if (track.done !== null || track.hello === null || !processAlive(track)) return false;
      if (track.hello.process.threadId !== 0 && now - track.lastHeardMs > THREAD_SILENT_MS) return false;
      return true;
    };

    const tick = (): void => {
      const now = performance.now();
      for (const key of events.poll(now)) {
        const track = events.agents.get(key)!;
        if (track.hello) tree.add(track.hello.process.pid);
        if (track.modules && !announced.modules.has(key)) {
          announced.modules.add(key);
          options.onModules?.(track);
        }
        if (track.done !== null && !announced.done.has(key)) {
          announced.done.add(key);
          options.onDone?.(track);
        }
      }
      if (now - lastTreeWalk >= TREE_MS) {
        lastTreeWalk = now;
        tree.note();
      }
      options.onTick?.(events.agents, now - started, () => tree.alive());
      if (end !== null || held !== null) return;
      const program = [...events.agents.values()].filter((t) => t.hello !== null && t.hello.process.launcher === null);
      const stillRecording = program.filter((t) => recording(t, now));
      if (rootExit !== null) {
        if (stillRecording.length === 0) stop('exit');
      } else if (
        (stillRecording.length === 0 && program.some((t) => STARTUP_OVER.has(t.done!) && processAlive(t))) ||
        options.startupOver?.(tree.alive()) === true
      ) {
        if (options.onStartup) hold(options.onStartup);
        else if (options.afterStartup) hold((agents) => options.afterStartup!(agents).then(() => {}));
        else stop('startup');
      }
      if (end === null && now - started >= options.timeoutMs + WATCHDOG_GRACE_MS) {
        for (const t of stillRecording) blocked.add(t.key);
        stop('watchdog');
      }
    };

    /** Start-up is over: the caller has the running program until its promise settles (either way). */
    const hold = (onStartup: NonNullable<SuperviseOptions['onStartup']>): void => {
      held = new AbortController();
      const release = (): void => stop('startup');
      Promise.resolve()
        .then(() => onStartup(events.agents, held!.signal))
        .then(release, release);
    };

    /** End the run: `first` (SIGTERM) to the tree, SIGKILL after the grace period, then finish. */
    const stop = (how: RunEnd, first: NodeJS.Signals | null = 'SIGTERM'): void => {
      if (end !== null) return;
      end = how;
      held?.abort();
      if (first !== null) tree.signal(first);
      killTimer = setTimeout(() => {
        tree.signal('SIGKILL');
        finalTimer = setTimeout(finish, AFTER_KILL_MS);
      }, options.graceMs);
      maybeFinish();
    };
    const maybeFinish = (): void => {
      if (end !== null && rootExit !== null && tree.alive().length === 0) finish();
    };
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(poller);
      clearTimeout(killTimer);
      clearTimeout(finalTimer);
      watcher?.close();
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      events.poll(performance.now());
      for (const track of events.agents.values()) {
        if (track.done === null) vanished.add(track.key);
        else if (!announced.done.has(track.key)) options.onDone?.(track);
      }
      resolvePromise({
        root: { pid: rootPid, code: rootExit?.code ?? null, signal: rootExit?.signal ?? null },
        end: end ?? 'exit',
        interrupt,
        agents: events.agents,
        vanished,
        blocked,
      });
    };

    const poller = setInterval(() => {
      tick();
      maybeFinish();
    }, POLL_MS);
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(options.dir, () => tick());
      watcher.on('error', () => {});
    } catch {
      // Polling alone.
    }

    // importcost's own SIGINT and SIGTERM stop the run and its tree; a second one kills the tree at once.
    // So does one that comes while the tree is being stopped for another reason (start-up over, the
    // watchdog), and the run then ends as interrupted: the caller was told to stop and must hear of it
    // (a fit whose Ctrl-C came while a try's server wound down went on to its next step and exited 0).
    const onSignal = (signal: NodeJS.Signals) => (): void => {
      if (end !== null) {
        if (interrupt === null) {
          interrupt = signal;
          end = 'interrupted';
        }
        tree.signal('SIGKILL');
        return;
      }
      interrupt = signal;
      // The same signal goes on to the tree; but a terminal's Ctrl-C has reached the target's group already
      // (it is not detached then), and a program that counts its SIGINTs must see one.
      stop('interrupted', signal === 'SIGINT' && !detached ? null : signal);
    };
    const onInt = onSignal('SIGINT');
    const onTerm = onSignal('SIGTERM');
    if (options.forwardSignals) {
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    }
    child.on('error', (err) => {
      if (rootExit === null) rootExit = { code: null, signal: null };
      reject(targetError(`cannot start ${options.file}: ${err.message}`, 'check the command and that it is on the PATH'));
      finish();
    });
    child.on('exit', (code, signal) => {
      rootExit = { code, signal };
      held?.abort();
      tick();
      maybeFinish();
    });
  });
}
