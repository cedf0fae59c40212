/**
 * Merge the agent's two streams (CommonJS load tuples, ESM resolve/load events) into one list of first
 * loads, keyed by path. Pure: takes the recording, returns data.
 */
import { fileURLToPath } from 'node:url';
import type { RecordingModules } from '../recording/format.js';
import type { ImportSite, ModuleKind } from '../report/format.js';

export interface RawModule {
  /** Absolute path, `node:<name>`, or the URL for other schemes. */
  key: string;
  /** file:// URL under which ESM frames name this module, if it was loaded as ESM. */
  url: string | null;
  kind: ModuleKind;
  /** key of the module that first loaded it, or null. */
  parentKey: string | null;
  /** How the importer wrote it: the require() request or the import specifier. */
  specifier: string | null;
  /** CJS load id (its trampoline frame), or -1. */
  cjsId: number;
  /** ms since the agent started. */
  startMs: number;
  /**
   * Wall ms of the load itself: CommonJS, nested CJS loads included; ESM, fetching the source plus
   * evaluating its body (evaluationMs), the CommonJS loads it made in between left out.
   */
  spanMs: number;
  /** ESM: wall ms of evaluating the module's body, when the run saw it end; else null. */
  evaluationMs: number | null;
  ok: boolean;
  /** Bytes of source the loader handed over (ESM), when known. */
  sourceBytes: number | null;
  /** Growth of V8's unsampled (code, trusted) spaces during a CJS load, nested loads included (0 for ESM). */
  unsampledSpanBytes: number;
  /** Exact mode: settled heapUsed growth over a CJS load, nested loads included; else -1. */
  exactSpanBytes: number;
  /** Keys of the modules it imports by ESM `import` (every edge the hooks resolved, not only first loads). */
  imports: string[];
  /** A file inside a bundle, found through its source map (analysis/bundles.ts): the bundle's key. */
  bundle?: string;
  /** A file inside a bundle: where its import stands in the original file that made it, when found. */
  site?: ImportSite;
  /** A module a bundle loaded through Node's loader: the file inside the bundle that did, read off the stacks. */
  loadedFrom?: string;
}

/** Turn a module URL from the ESM hooks into our key: a path for file: URLs, `node:x` for builtins. */
export function keyFromUrl(url: string): string {
  if (url.startsWith('file:')) return fileURLToPath(url);
  if (url.startsWith('node:')) return url;
  return url;
}

function kindOf(key: string, format: string | null | undefined): ModuleKind {
  if (key.startsWith('node:') || format === 'builtin') return 'builtin';
  if (format === 'json' || key.endsWith('.json')) return 'json';
  if (format === 'wasm' || key.endsWith('.wasm')) return 'wasm';
  if (key.endsWith('.node')) return 'addon';
  if (isModuleFormat(format) || key.endsWith('.mjs') || key.endsWith('.mts')) return 'esm';
  return 'cjs';
}

/** An ES module's load format: `module`, or `module-typescript` where Node strips the types of an .mts file (or of a .ts one in an ESM scope). */
const isModuleFormat = (format: string | null | undefined): boolean => format === 'module' || format === 'module-typescript';

/** A module as nothing has been seen of it yet but `fields`: no parent, no time, no bytes. */
export function rawModule(key: string, fields: Partial<Omit<RawModule, 'key'>> = {}): RawModule {
  return {
    key,
    url: null,
    kind: 'cjs',
    parentKey: null,
    specifier: null,
    cjsId: -1,
    startMs: Number.NaN,
    spanMs: 0,
    evaluationMs: null,
    ok: true,
    sourceBytes: null,
    unsampledSpanBytes: 0,
    exactSpanBytes: -1,
    imports: [],
    ...fields,
  };
}

export function listModules(recording: RecordingModules): RawModule[] {
  const byKey = new Map<string, RawModule>();
  const cjsKeys: string[] = [];
  for (const [id, path, parent, startMs, endMs, ok, request, unsampledBytes, parentFile, exactBytes] of recording.cjs) {
    cjsKeys[id] = path;
    if (byKey.has(path)) continue;
    byKey.set(
      path,
      rawModule(path, {
        kind: kindOf(path, null),
        parentKey: parent >= 0 ? (cjsKeys[parent] ?? null) : parentFile || null,
        specifier: request === '' ? null : request,
        cjsId: id,
        startMs,
        spanMs: Math.max(0, endMs - startMs),
        ok,
        unsampledSpanBytes: unsampledBytes,
        exactSpanBytes: exactBytes,
      }),
    );
  }
  // ESM: every import edge, in the order the hooks resolved them (per importer, that is source order).
  const edges = new Map<string, { child: string; specifier: string | null }[]>();
  const esmRoots: string[] = [];
  for (const event of recording.esm) {
    const key = keyFromUrl(event.url);
    let module = byKey.get(key);
    if (event.t === 'r') {
      const parentKey = event.parentURL ? keyFromUrl(event.parentURL) : null;
      if (parentKey === null) esmRoots.push(key);
      else if (parentKey !== key) {
        let list = edges.get(parentKey);
        if (!list) edges.set(parentKey, (list = []));
        list.push({ child: key, specifier: event.specifier ?? null });
      }
      if (!module) {
        module = rawModule(key, { url: event.url, kind: kindOf(key, event.format) });
        byKey.set(key, module);
      }
      if (isModuleFormat(event.format)) {
        module.kind = kindOf(key, 'module');
        module.url ??= event.url;
      }
    } else if (module) {
      if (isModuleFormat(event.format)) {
        // (require() of an ES module in a .js file: its CommonJS record guessed cjs from the name.)
        module.kind = kindOf(key, 'module');
        module.url ??= event.url;
      }
      if (module.cjsId < 0 && event.start !== undefined && event.end !== undefined) {
        module.startMs = event.start - recording.startedAt;
        module.spanMs = Math.max(0, event.end - event.start);
      }
      if (event.size !== undefined) module.sourceBytes = event.size;
    }
  }
  for (const [url, ms] of esmEvaluationMs(recording)) {
    const module = byKey.get(keyFromUrl(url));
    if (!module || module.cjsId >= 0 || module.evaluationMs !== null) continue;
    module.evaluationMs = ms;
    module.spanMs += ms;
  }
  placeEsmModules(byKey, edges, esmRoots);
  for (const [parentKey, list] of edges) {
    const parent = byKey.get(parentKey);
    if (parent) parent.imports = list.map((edge) => edge.child);
  }

  // ESM modules whose load event never came (e.g. the run stopped mid-way) start where their importer did.
  const modules = [...byKey.values()];
  for (const module of modules) {
    if (Number.isNaN(module.startMs)) {
      const parent = module.parentKey ? byKey.get(module.parentKey) : undefined;
      module.startMs = parent && !Number.isNaN(parent.startMs) ? parent.startMs : 0;
    }
  }
  return modules.sort((a, b) => a.startMs - b.startMs);
}

/**
 * How long each ESM module's body took to evaluate, from the times the agent saw each body end (epoch
 * ms, in order). ESM evaluates one body after another, so a body starts at the latest of the previous
 * body's end and the last source fetched before it ends (a graph is fetched whole before it runs);
 * CommonJS loads that ESM made in between (static imports of CommonJS, createRequire) are their own
 * time and are left out. A body whose window held an unrelated fetch (a dynamic import started
 * elsewhere, off-thread on Node 20) reads short.
 */
function esmEvaluationMs(recording: RecordingModules): [string, number][] {
  const ends = recording.esmEvaluated ?? [];
  if (ends.length === 0) return [];
  const fetched: number[] = [];
  for (const event of recording.esm) if (event.t === 'l' && event.end !== undefined) fetched.push(event.end);
  fetched.sort((a, b) => a - b);
  // CommonJS loads with no CommonJS load around them: the ones ESM made (epoch ms).
  const outerCjs = recording.cjs
    .filter((tuple) => tuple[2] < 0)
    .map((tuple) => [recording.startedAt + tuple[3], recording.startedAt + tuple[4]] as const)
    .sort((a, b) => a[0] - b[0]);
  const out: [string, number][] = [];
  let previousEnd = Number.NEGATIVE_INFINITY;
  let f = 0;
  for (const [url, end] of ends) {
    while (f < fetched.length && fetched[f]! <= end) f++;
    const start = Math.max(previousEnd, f > 0 ? fetched[f - 1]! : Number.NEGATIVE_INFINITY);
    previousEnd = end;
    if (!Number.isFinite(start)) continue;
    let nested = 0;
    for (const [cjsStart, cjsEnd] of outerCjs) if (cjsStart >= start && cjsEnd <= end) nested += cjsEnd - cjsStart;
    out.push([url, Math.max(0, end - start - nested)]);
  }
  return out;
}

/**
 * Who first loaded each module that the CommonJS stack could not tell (ESM modules, and CommonJS ones
 * imported from ESM). ESM links a whole graph first and then evaluates it depth-first, in source order,
 * so the importer that "first loaded" a module is the one a depth-first walk reaches it through, not
 * the one whose import the loader happened to resolve first (it fetches subgraphs concurrently).
 * Walks from the ESM entry points and from every module loaded by CommonJS, in load order.
 */
function placeEsmModules(
  byKey: Map<string, RawModule>,
  edges: Map<string, { child: string; specifier: string | null }[]>,
  esmRoots: string[],
): void {
  const placed = new Set<string>();
  for (const module of byKey.values()) if (module.cjsId >= 0 && module.parentKey !== null) placed.add(module.key);
  const starts = [...esmRoots, ...[...byKey.values()].filter((m) => m.cjsId >= 0).map((m) => m.key)];
  for (const start of starts) {
    placed.add(start);
    const stack: { key: string; next: number }[] = [{ key: start, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const out = edges.get(top.key) ?? [];
      if (top.next >= out.length) {
        stack.pop();
        continue;
      }
      const { child, specifier } = out[top.next++]!;
      if (placed.has(child)) continue;
      placed.add(child);
      const module = byKey.get(child);
      if (module) {
        module.parentKey = top.key;
        module.specifier = specifier;
      }
      stack.push({ key: child, next: 0 });
    }
  }
}
