/**
 * The watch-only agent, for `importcost fit`: preloaded (`--require <this file>`, through NODE_OPTIONS) in
 * place of preload.cjs where fit needs to know about the program but not its imports: at the largest size
 * of the search and at the recommended one (the sizes with room; the search below them runs the program
 * with no agent at all). It tells the CLI who this process is and its heap limit (the hello), the heap's
 * reading every 100 ms, a server's first listen() and its address, and when it stopped (listening, exit,
 * timeout, a signal), in the same event stream as the profiling agent (event-stream.cts), with the same
 * stop conditions.
 *
 * Nothing else: no module hooks, no trampolines, no sampler, no GC, no V8 flag; of the agent's files, only
 * the context, identity, event stream and stop conditions load. It holds about 0.2 MB of heap (README).
 * Main threads only: a worker thread has a heap of its own and is not what fit sizes.
 * Built-ins only.
 */
import path = require('node:path');
import v8 = require('node:v8');
import perfHooks = require('node:perf_hooks');
import workerThreads = require('node:worker_threads');
import type { AgentConfig } from './types.cjs';
import context = require('./context.cjs');
import identity = require('./identity.cjs');
import eventStream = require('./event-stream.cjs');
import stopConditions = require('./stop-conditions.cjs');

const configText = workerThreads.isMainThread ? process.env.IMPORTCOST_AGENT : undefined;
const config = configText === undefined ? null : context.readConfig(configText);
if (config !== null) watch(config);

function watch(config: AgentConfig): void {
  const ctx = context.createContext(config);
  const self = identity.identify(config.cliPid);
  const stream = eventStream.openEventStream(ctx, path.join(config.dir, `${self.key}.events`), {
    schema: 'importcost-events@1',
    process: self,
    node: process.version,
    cwd: process.cwd(),
    startedAt: perfHooks.performance.timeOrigin + ctx.t0,
    baselineBytes: 0,
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
  });
  const stopWatch = stopConditions.watchForStop(
    ctx,
    () => {},
    () => true,
    (viaCluster, address) => stream.record(['l', ctx.now() - ctx.t0, viaCluster, address]),
  );
  ctx.finish = (reason) => {
    if (ctx.done) return;
    ctx.done = true;
    stopWatch.clear();
    stream.record(['done', reason]);
    stream.close();
  };
}
