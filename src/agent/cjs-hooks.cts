/**
 * The agent's CommonJS hooks: every first load of a file (.js, .cjs, .json, .node, require(esm)) and of
 * a builtin runs through a trampoline of its own (trampolines.cts), and its record (CjsLoadTuple) is
 * opened before and closed after. Nothing else happens per load. Built-ins only.
 */
import nodeModule = require('node:module');
import v8 = require('node:v8');
import vm = require('node:vm');
import type { CjsLoadTuple, Recording } from '../recording/format.js';
import type { AgentContext, CjsHooks, EventStream } from './types.cjs';
import trampolines_ = require('./trampolines.cjs');

const TRAMPOLINE_PREFIX = 'importcost-load:';


/** enterRequire's answer for a require of a file: its request is noted, to be restored when it returns. */
const NOTED = Symbol('noted');
/** The url of the wrappers' script: it names no owner, so what Node does inside them is the program's. */
const WRAPPER_URL = 'importcost-wrap';
/**
 * The two wrappers (Module.prototype.load, then Module._load) as anonymous functions of a script of their
 * own. A wrapper stays on the stack while the load it wraps runs, so each level of nested requires puts
 * both on every heap sample's stack, and V8 copies each frame's function name for every sample it takes
 * (String::ToCString, then a lookup in its names table): a named frame costs it more than an anonymous
 * one. Measured with callgrind on the bench's 2,187-module app (Node 20): 176 thousand instructions a
 * sample with the wrappers named importcostLoad and importcostModuleLoad, 162 thousand anonymous (-8%;
 * 10,390 samples), and the target's main thread -0.15..-0.29 G instructions of 9.4-9.5 G. So the shells
 * only call the agent's own functions (named: their allocations are the agent's) around the original,
 * and those return before it runs.
 */
function anonymousWrappers<Load, ModuleLoad>(parts: object, originalLoad: Load, originalModuleLoad: ModuleLoad): [Load, ModuleLoad] {
  const source = `return [
function (filename) {
  const tuple = enterLoad(filename);
  if (tuple === null) return load.apply(this, arguments);
  try { const result = fns[tuple[0]](load, this, arguments); tuple[5] = true; return result; } finally { closeLoad(tuple, this); }
},
function (request, parent) {
  const tuple = enterRequire(request, parent);
  if (tuple === null) return moduleLoad.apply(this, arguments);
  if (tuple === NOTED) { try { return moduleLoad.apply(this, arguments); } finally { leaveRequire(); } }
  try { const result = fns[tuple[0]](moduleLoad, this, arguments); tuple[5] = true; return result; } finally { leaveBuiltin(tuple); }
}];`;
  const names = [...Object.keys(parts), 'load', 'moduleLoad'];
  const values = [...Object.values(parts), originalLoad, originalModuleLoad];
  return vm.compileFunction(source, names, { filename: WRAPPER_URL })(...values) as [Load, ModuleLoad];
}

/**
 * Install the hooks. `unsampledBytes` reads V8's code and trusted spaces (measured around each load);
 * `settledHeap` is heapUsed after full GCs, for --exact; a load's end flushes `stream` when one is due.
 */
function installCjsHooks(ctx: AgentContext, unsampledBytes: () => number, settledHeap: () => number, stream: EventStream): CjsHooks {
  const { config, now } = ctx;
  const cjs: CjsLoadTuple[] = [];
  const trampolines = trampolines_.trampolineFamily(TRAMPOLINE_PREFIX);
  const fns = trampolines.fns;
  /** The request of the innermost Module._load call still running (consumed by the load it leads to). */
  let pendingRequest: string | null = null;
  /** Its requiring module's filename: the parent when no CJS load is on the stack (createRequire in ESM). */
  let pendingParentFile: string | null = null;
  const loading: number[] = [];
  const seenFiles = new Set<string>();
  const seenBuiltins = new Set<string>();
  /** Builtin -> the files that required it again after its first load (the first is in its record). */
  const builtinImporters = new Map<string, Set<string>>();
  let entryDoneMs: number | null = null;
  const hooks: CjsHooks = {
    records: cjs,
    trampolines,
    entryDoneMs: () => entryDoneMs,
    builtinCodeCache: false,
    importGraph,
    esmWindows: null,
  };


  /**
   * A first load's record, opened before it runs through its trampoline and closed after. The callers
   * call the trampoline themselves rather than through a helper: every frame between two loads is walked
   * by V8 for every heap sample (about 0.2 us a frame, and the inspector walks up to 128), and the agent's
   * frames were a third of the walked frames on the bench's 2,000+-module app.
   */
  const openLoad = (pathOrName: string): CjsLoadTuple => {
    const id = cjs.length;
    const parent = loading.length > 0 ? loading[loading.length - 1]! : -1;
    // The request as the importer wrote it; its line is found in the importer's source after the run.
    // (Capturing a stack here would keep every importer's top-level function alive, and with it its
    // bytecode: measured +0.9 MB on @aws-sdk/client-s3. The agent must not change what stays alive.)
    const request = pendingRequest ?? '';
    const parentFile = parent === -1 ? (pendingParentFile ?? '') : '';
    pendingRequest = null;
    // Slot 7 holds the unsampled spaces' size at the start until closeLoad turns it into the growth.
    const tuple: CjsLoadTuple = [id, pathOrName, parent, now(), 0, false, request, 0, parentFile, -1];
    cjs.push(tuple);
    trampolines.make(id);
    loading.push(id);
    if (config.exact) tuple[9] = settledHeap();
    tuple[7] = unsampledBytes();
    return tuple;
  };
  /** `module`: the Module a file's load ran for (not given for a builtin's). */
  const closeLoad = (tuple: CjsLoadTuple, module?: unknown): void => {
    if (hooks.esmWindows !== null && module !== undefined) hooks.esmWindows.after(tuple[1], module, windowed.delete(tuple[0]));
    tuple[7] = unsampledBytes() - tuple[7];
    if (config.exact) tuple[9] = settledHeap() - tuple[9];
    loading.pop();
    tuple[4] = ctx.lastActivityMs = now();
    if (tuple[2] === -1 && tuple[0] === 0) entryDoneMs = tuple[4];
    if (tuple[4] >= stream.nextFlushMs) stream.flush();
  };

  // CommonJS files (.js, .cjs, .json, .node, and require(esm)): Module.prototype.load runs once per
  // first load, with the resolved filename, and covers reading, compiling and evaluating.
  const Module = nodeModule as unknown as {
    prototype: { load: (this: unknown, filename: string) => unknown };
    _load: (this: unknown, request: unknown, parent: unknown, isMain: boolean) => unknown;
  };
  // The wrappers' own frames name no owner (what Node does inside them is the program's), so what they
  // keep for the agent is kept from within functions of the agent's own (enterLoad, enterRequire and what
  // they call, and the ESM hooks' helpers), whose frames put it in the agent bucket; else a Set's growth
  // is charged to the module whose require made it.
  const firstFile = (filename: string): boolean => {
    if (seenFiles.has(filename)) return false;
    seenFiles.add(filename);
    return true;
  };
  /** `node:<x>` on a builtin's first require; on a later one, notes its importer and gives null. */
  const firstBuiltin = (request: string, parentFile: unknown): string | null => {
    const name = request.startsWith('node:') ? request : `node:${request}`;
    if (!seenBuiltins.has(name)) {
      seenBuiltins.add(name);
      builtinImporters.set(name, new Set());
      return name;
    }
    // A builtin required again: its importer is one more edge of the import graph (deferral savings).
    if (typeof parentFile === 'string') builtinImporters.get(name)?.add(parentFile);
    return null;
  };
  // Every first load of a file runs through a trampoline; every require notes its request for the load it
  // may lead to, and a builtin's first require runs through a trampoline named node:<x>.
  const originalLoad = Module.prototype.load;
  const originalModuleLoad = Module._load;
  /** The request and parent file each require of a file still running replaced (restored as it returns), in pairs. */
  const outer: (string | null)[] = [];
  /** The loads (ids) that opened a window of the ESM hooks (esm-windows.cts), until they end. */
  const windowed = new Set<number>();
  const enterLoad = (filename: string): CjsLoadTuple | null => {
    if (ctx.done || !firstFile(filename)) return null;
    const tuple = openLoad(filename);
    if (hooks.esmWindows?.before(filename)) windowed.add(tuple[0]);
    return tuple;
  };
  const enterRequire = (request: unknown, parentModule: unknown): CjsLoadTuple | typeof NOTED | null => {
    if (ctx.done || typeof request !== 'string') return null;
    const parentFile = (parentModule as { filename?: unknown } | null)?.filename;
    if (nodeModule.isBuiltin(request)) {
      const name = firstBuiltin(request, parentFile);
      if (name === null) return null;
      pendingRequest = request;
      pendingParentFile = typeof parentFile === 'string' ? parentFile : null;
      const tuple = openLoad(name);
      if (hooks.builtinCodeCache) v8.setFlagsFromString('--no-sampling-heap-profiler-suppress-randomness');
      return tuple;
    }
    outer.push(pendingRequest, pendingParentFile);
    pendingRequest = request;
    pendingParentFile = typeof parentFile === 'string' ? parentFile : null;
    return NOTED;
  };
  const leaveRequire = (): void => {
    pendingParentFile = outer.pop() ?? null;
    pendingRequest = outer.pop() ?? null;
  };
  const leaveBuiltin = (tuple: CjsLoadTuple): void => {
    if (hooks.builtinCodeCache) v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness');
    closeLoad(tuple);
  };
  [Module.prototype.load, Module._load] = anonymousWrappers(
    { enterLoad, closeLoad, enterRequire, leaveRequire, leaveBuiltin, fns, NOTED },
    originalLoad,
    originalModuleLoad,
  );
  return hooks;

  /**
   * Every CommonJS import edge, read once at the end: Node keeps each module's `children`, first loads
   * and repeat requires alike, in require.cache. Rows are [importer, ...imported]. Builtins come from the
   * repeat requires noted in Module._load.
   */
  function importGraph(): NonNullable<Recording['imports']> {
    // Files the CJS records know are written as their load id (a number), others by path.
    const idOf = new Map<string, number>();
    for (const tuple of cjs) if (!idOf.has(tuple[1])) idOf.set(tuple[1], tuple[0]);
    const ref = (file: string): string | number => idOf.get(file) ?? file;
    const cjsRows: (string | number)[][] = [];
    try {
      const cache = (nodeModule as unknown as { _cache: Record<string, { children?: { filename?: unknown }[] } | undefined> })._cache;
      for (const filename of Object.keys(cache)) {
        const children = cache[filename]?.children;
        if (!Array.isArray(children) || children.length === 0) continue;
        const row = [ref(filename)];
        for (const child of children) if (typeof child?.filename === 'string') row.push(ref(child.filename));
        if (row.length > 1) cjsRows.push(row);
      }
    } catch {
      // A program that replaced require.cache: the graph is the first-load tree only.
    }
    const builtinRows: (string | number)[][] = [];
    for (const [name, importers] of builtinImporters) for (const file of importers) builtinRows.push([ref(file), ref(name)]);
    return { cjs: cjsRows, builtins: builtinRows };
  }
}

export = { TRAMPOLINE_PREFIX, WRAPPER_URL, installCjsHooks };
