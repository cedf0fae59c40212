/**
 * The watch-only agent, for `importcost fit`: preloaded (`--require <this file>`, through NODE_OPTIONS) in
 * place of preload.cjs where only the end of start-up matters, at each step of fit's search. It tells the
 * CLI who this process is and its heap limit (the hello), the heap's reading every 100 ms, a server's
 * first listen() and its address, and when it stopped (listening, exit, timeout, a signal), in the same
 * event stream as the profiling agent (event-stream.cts), with the same stop conditions.
 *
 * Nothing else: no module hooks, no trampolines, no sampler, no GC, no V8 flag, and none of the
 * profiling agent's files loaded. Every byte the agent holds is heap the program does not have at a
 * given --max-old-space-size, so the less agent, the closer fit's minimum is to the program's own.
 * Main threads only: a worker thread has a heap of its own and is not what fit sizes.
 * Built-ins only.
 */
import fs = require('node:fs');
import path = require('node:path');
import v8 = require('node:v8');
import workerThreads = require('node:worker_threads');
import type { AgentConfig, AgentContext } from './types.cjs';
import identity = require('./identity.cjs');
import eventStream = require('./event-stream.cjs');
import stopConditions = require('./stop-conditions.cjs');

const configText = workerThreads.isMainThread ? process.env.IMPORTCOST_AGENT : undefined;
const config = configText === undefined ? null : readConfig(configText);
if (config !== null) watch(config);

/** The CLI's settings, where its work folder still exists (a process that outlives the run is left alone). */
function readConfig(text: string): AgentConfig | null {
  try {
    const parsed = JSON.parse(text) as AgentConfig;
    return typeof parsed.dir === 'string' && fs.existsSync(parsed.dir) ? parsed : null;
  } catch {
    return null;
  }
}

function watch(config: AgentConfig): void {
  // Its own clock, in ms (all fit needs), rather than context.cts's performance.now(). (stop-conditions
  // still loads node:perf_hooks, 47 kB of heap in a server that would not load it: measured after two GCs,
  // --single-threaded, Node 20. Loading it lazily there made it a load of the program's under the
  // profiling agent's hooks.)
  const t0 = Date.now();
  const ctx: AgentContext = { config, t0, now: Date.now, epoch: Date.now, done: false, lastActivityMs: t0, finish: () => {} };
  const self = identity.identify(config.cliPid);
  const stream = eventStream.openEventStream(ctx, path.join(config.dir, `${self.key}.events`), {
    schema: 'importcost-events@1',
    process: self,
    node: process.version,
    cwd: process.cwd(),
    startedAt: t0,
    baselineBytes: 0,
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
  });
  const stopWatch = stopConditions.watchForStop(
    ctx,
    () => {},
    () => true,
    (viaCluster, address) => stream.record(['l', Date.now() - t0, viaCluster, address]),
  );
  ctx.finish = (reason) => {
    if (ctx.done) return;
    ctx.done = true;
    stopWatch.clear();
    stream.record(['done', reason]);
    stream.close();
  };
}
