/**
 * When the agent stops recording: the process exits, a server's first listen() completes (plus the
 * settle time), the loop is idle after start-up, a timeout, or a signal. Each calls ctx.finish once
 * (finish ignores every call after the first). Built-ins only.
 */
import dc = require('node:diagnostics_channel');
import perfHooks = require('node:perf_hooks');
import workerThreads = require('node:worker_threads');
import type { StopReason } from '../recording/format.js';
import type { ListenAddress } from '../recording/format.js';
import type { AgentContext, StopWatch } from './types.cjs';


/**
 * Arm the stop conditions of ctx.config.until. `poll` runs at each idle tick (the off-thread ESM hooks'
 * events are read there); `started` says whether the program has loaded anything yet; `onListen` hears of
 * the first listen() (viaCluster: a cluster primary's, made on its workers' behalf).
 */
function watchForStop(ctx: AgentContext, poll: () => void, started: () => boolean, onListen: (viaCluster: boolean, address: ListenAddress) => void): StopWatch {
  const { config, now } = ctx;
  const until = config.until;
  const timers: NodeJS.Timeout[] = [];
  let crashError: string | null = null;
  const stopAfter = (ms: number, reason: StopReason): void => {
    timers.push(setTimeout(() => ctx.finish(reason, null), ms).unref());
  };
  stopAfter(typeof until === 'number' ? until : config.timeoutMs, 'timeout');
  // A cluster primary listens on its workers' behalf (round-robin): seen on the stack of listen() itself.
  let viaCluster = false;
  dc.subscribe('tracing:net.server.listen:asyncStart', function onListenStart(): void {
    dc.unsubscribe('tracing:net.server.listen:asyncStart', onListenStart);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    viaCluster = new Error().stack?.includes('round_robin_handle') === true;
    Error.stackTraceLimit = limit;
  });
  dc.subscribe('tracing:net.server.listen:asyncEnd', function onListenEnd(message: unknown): void {
    dc.unsubscribe('tracing:net.server.listen:asyncEnd', onListenEnd);
    onListen(viaCluster, addressOf(message));
    if (until === 'auto' || until === 'listening') stopAfter(config.settleMs, 'listening');
  });
  if (until === 'auto' || until === 'idle') {
    // Idle: the entry has run, and for idleMs no module was loaded while the loop was mostly idle.
    let elu = perfHooks.performance.eventLoopUtilization();
    let quietSinceMs = now();
    const tick = setInterval(() => {
      const t = now();
      poll();
      const next = perfHooks.performance.eventLoopUtilization();
      const busy = perfHooks.performance.eventLoopUtilization(next, elu).utilization > 0.5;
      elu = next;
      if (busy || ctx.lastActivityMs > quietSinceMs) quietSinceMs = Math.max(ctx.lastActivityMs, busy ? t : 0);
      if (t - quietSinceMs >= config.idleMs && started()) ctx.finish('idle', null);
    }, Math.max(20, Math.min(200, config.idleMs / 5)));
    tick.unref();
    timers.push(tick);
  }

  process.on('uncaughtExceptionMonitor', (err) => {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    crashError ??= text;
  });
  process.on('exit', (code) => ctx.finish(crashError === null ? 'exit' : 'crash', code));
  // On a signal: write the profile, then let the signal do what it would have done. If the target
  // listens for it itself, its own handler decides; otherwise re-raise it with the default action.
  // (Only a process's main thread receives signals.)
  for (const signal of workerThreads.isMainThread ? (['SIGINT', 'SIGTERM', 'SIGHUP'] as const) : []) {
    const onSignal = (): void => {
      ctx.finish('signal', null);
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
  return {
    clear: () => {
      for (const timer of timers) clearTimeout(timer);
    },
    crashError: () => crashError,
  };
}

/** Where the server listens: a TCP port and host, or a pipe's path (what `importcost fit` and `defer` send requests to). */
function addressOf(message: unknown): ListenAddress {
  try {
    const address = (message as { server?: { address?: () => unknown } }).server?.address?.();
    if (typeof address === 'string') return { port: null, host: null, path: address };
    const { port, address: host } = (address ?? {}) as { port?: unknown; address?: unknown };
    return { port: typeof port === 'number' ? port : null, host: typeof host === 'string' ? host : null, path: null };
  } catch {
    return { port: null, host: null, path: null };
  }
}

export = { watchForStop };
