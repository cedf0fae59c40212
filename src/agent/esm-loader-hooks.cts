/**
 * The agent's ESM hooks: in-thread synchronous hooks where Node has them (module.registerHooks, 22.15+),
 * else off-thread hooks (module.register, esm-hooks.mts) writing their events to shared memory.
 * They record every import edge in order (resolve: parentURL) and each first load; on Node 22+ Node's
 * own resolving and fetching run through trampolines that name the module they were for, and the hooks are
 * in only while ES modules load (esm-windows.cts). Built-ins only.
 */
import nodeModule = require('node:module');
import path = require('node:path');
import url = require('node:url');
import type { EsmEvent } from '../recording/format.js';
import type { AgentContext, EsmHooks } from './types.cjs';
import esmWindows = require('./esm-windows.cjs');
import evaluation = require('./evaluation-mark.cjs');
import trampolines = require('./trampolines.cjs');

/**
 * Trampolines of the in-thread ESM hooks (Node 22+): each first resolve of an import request and each
 * first load of an ES module runs Node's default step through one, so the work Node does there (resolving,
 * reading the package.json files on the way, fetching the source) names the module it was for.
 */
const HOOK_TRAMPOLINE_PREFIX = 'importcost-hook:';
const ESM_HOOKS_FILE = path.join(__dirname, 'esm-hooks.mjs');
/** Bytes of the buffer the ESM hooks thread writes its events into (about 150 bytes an event). */
const ESM_BUFFER_BYTES = 32 * 1024 * 1024;
/** Set in the environment while Node 20's hooks thread starts (preload.cts reads it there). */
const HOOKS_THREAD_ENV = 'IMPORTCOST_HOOKS_THREAD';


/** Start the hooks; `onActivity` is called at each new event (the idle rule's clock). */
function startEsmHooks(ctx: AgentContext, onActivity: () => void): EsmHooks {
  const markEvaluation = ctx.config.esmEvaluation === true;
  const registerHooks = (nodeModule as unknown as { registerHooks?: Function }).registerHooks;
  const hookOwners: [string, string | null][] = [];
  const hookTrampolines = trampolines.trampolineFamily(HOOK_TRAMPOLINE_PREFIX);
  if (typeof registerHooks === 'function') {
    const events: EsmEvent[] = [];
    /**
     * parentURL -> what it has seen: the specifiers it resolved (requests) and the urls they gave (edges).
     * Keyed by the loader's own strings, so the agent keeps a set entry an import, not a new string.
     */
    const seenRequests = new Map<string | undefined, Set<string>>();
    const seenResolved = new Map<string | undefined, Set<string>>();
    const seenLoaded = new Set<string>();
    const epoch = ctx.epoch;
    /** Whether `key` is new under `parent` in `seen`; notes it. */
    const firstUnder = (seen: Map<string | undefined, Set<string>>, parent: string | undefined, key: string): boolean => {
      let keys = seen.get(parent);
      if (keys === undefined) seen.set(parent, (keys = new Set()));
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    };
    /**
     * Run Node's own step through a trampoline of its own, noted as owner [url, parentURL] (url filled
     * in after a resolve). The hooks themselves name no owner (what Node does inside them is the
     * program's): what they keep for the agent is kept from the helpers below, agent frames all.
     */
    const throughTrampoline = (url: string, parentURL: string | null, next: Function, args: unknown[]): any => {
      const owner: [string, string | null] = [url, parentURL];
      const id = hookOwners.push(owner) - 1;
      hookTrampolines.make(id);
      const result = hookTrampolines.fns[id]!(next, undefined, args);
      if (parentURL !== null) owner[0] = (result as { url: string }).url;
      return result;
    };
    const noteResolve = (specifier: string, parentURL: string | undefined, result: { url: string; format?: string | null }): void => {
      if (!firstUnder(seenResolved, parentURL, result.url)) return;
      events.push({ t: 'r', url: result.url, parentURL, specifier, format: result.format });
      onActivity();
    };
    const noteLoad = (loadUrl: string, result: { format?: string | null; source?: unknown }, startMs: number | undefined): void => {
      seenLoaded.add(loadUrl);
      const source = result.source as string | ArrayBufferView | null | undefined;
      events.push({
        t: 'l',
        url: loadUrl,
        format: result.format,
        // (A require's time is its CommonJS load record's.)
        start: startMs,
        end: startMs === undefined ? undefined : epoch(),
        size: source == null ? undefined : typeof source === 'string' ? source.length : source.byteLength,
      });
      onActivity();
    };
    // These hooks run for every require() too. A require's CommonJS load record already has what they
    // would note, so they pass it through, noting only an ES module's load (require(esm): its url names
    // its frames). Noting every require as well cost 0.05x on the 2,187-module bench app on Node 22.
    const isRequire = (context: { conditions?: readonly string[] }): boolean => context.conditions?.includes('require') === true;
    const register = (): { deregister(): void } => registerHooks({
      resolve(specifier: string, context: { parentURL?: string; conditions?: readonly string[] }, nextResolve: Function) {
        if (isRequire(context)) return nextResolve(specifier, context);
        if (ctx.done) return nextResolve(specifier, context);
        // An import request's first resolve does the work (its later ones hit Node's cache).
        const result = firstUnder(seenRequests, context.parentURL, specifier)
          ? throughTrampoline('', context.parentURL ?? null, nextResolve, [specifier, context])
          : nextResolve(specifier, context);
        noteResolve(specifier, context.parentURL, result);
        return result;
      },
      load(loadUrl: string, context: { conditions?: readonly string[] }, nextLoad: Function) {
        if (ctx.done || seenLoaded.has(loadUrl)) return nextLoad(loadUrl, context);
        const required = isRequire(context);
        const startMs = required ? undefined : epoch();
        // (A require's own CommonJS trampoline already names what runs inside it.)
        const result = required ? nextLoad(loadUrl, context) : throughTrampoline(loadUrl, null, nextLoad, [loadUrl, context]);
        if (required && result.format !== 'module') return result;
        noteLoad(loadUrl, result, startMs);
        const source = result.source as string | ArrayBufferView | null | undefined;
        if (markEvaluation && result.format === 'module' && loadUrl.startsWith('file:') && source != null) {
          return { ...result, source: evaluation.evaluationMark(source, loadUrl) };
        }
        return result;
      },
    });
    // Only while ES modules load, or from now on where that cannot be seen in time (esm-windows.cts).
    const windows = esmWindows.esmWindows(register, ctx.config.defer !== undefined);
    if (windows === null) register();
    let drained = 0;
    const drain = (): EsmEvent[] => {
      const fresh = events.slice(drained);
      drained = events.length;
      return fresh;
    };
    return { poll() {}, count: () => events.length, read: () => events, drain, truncated: () => false, thread: 'in-thread', hookOwners, trampolines: hookTrampolines, windows };
  }
  // Node 20: module.register runs hooks on their own thread; they append JSON lines to a shared buffer.
  const shared = new SharedArrayBuffer(ESM_BUFFER_BYTES);
  const header = new Int32Array(shared, 0, 2);
  // The hooks' thread runs the --require modules too; this mark (its copy of the environment) tells the
  // agent's preload there to stay out.
  process.env[HOOKS_THREAD_ENV] = '1';
  try {
    nodeModule.register(url.pathToFileURL(ESM_HOOKS_FILE).href, { data: { shared, markEvaluation } });
  } finally {
    delete process.env[HOOKS_THREAD_ENV];
  }
  let lastOffset = 0;
  let drainedOffset = 0;
  // drain() runs at every flush of the event stream (up to one each 5 ms while modules load), where a
  // CommonJS program has nothing new: one decoder, and nothing made for an empty range (a decoder made
  // per call cost 4.6 us a call on Node 20, 500 calls 2.3 ms; one decoder, 0.3 ms).
  const decoder = new TextDecoder();
  const decode = (from: number, to: number): EsmEvent[] =>
    to <= from
      ? []
      : decoder
          .decode(new Uint8Array(shared, 8 + from, to - from))
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as EsmEvent);
  return {
    thread: 'off-thread',
    windows: null,
    hookOwners,
    trampolines: hookTrampolines,
    poll() {
      const offset = Atomics.load(header, 0);
      if (offset !== lastOffset) {
        lastOffset = offset;
        onActivity();
      }
    },
    count: () => Atomics.load(header, 0),
    read: () => decode(0, Atomics.load(header, 0)),
    drain() {
      const end = Atomics.load(header, 0);
      const fresh = decode(drainedOffset, end);
      drainedOffset = end;
      return fresh;
    },
    truncated: () => Atomics.load(header, 1) !== 0,
  };
}

export = { HOOK_TRAMPOLINE_PREFIX, HOOKS_THREAD_ENV, startEsmHooks };
