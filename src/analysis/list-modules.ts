/**
 * Merge the agent's two streams (CommonJS load tuples, ESM resolve/load events) into one list of first
 * loads, keyed by path. Pure: takes the recording, returns data.
 */
import { fileURLToPath } from 'node:url';
import type { Recording } from '../recording/format.js';
import type { ModuleKind } from '../report/format.js';

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
  /** Wall ms of the load itself, nested CJS loads included (ESM: fetching the source). */
  spanMs: number;
  ok: boolean;
  /** Bytes of source the loader handed over (ESM), when known. */
  sourceBytes: number | null;
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
  if (format === 'module' || key.endsWith('.mjs')) return 'esm';
  return 'cjs';
}

export function listModules(recording: Recording): RawModule[] {
  const byKey = new Map<string, RawModule>();
  const cjsKeys: string[] = [];
  for (const [id, path, parent, startMs, endMs, ok, request] of recording.cjs) {
    cjsKeys[id] = path;
    if (byKey.has(path)) continue;
    byKey.set(path, {
      key: path,
      url: null,
      kind: kindOf(path, null),
      parentKey: parent >= 0 ? (cjsKeys[parent] ?? null) : null,
      specifier: request === '' ? null : request,
      cjsId: id,
      startMs,
      spanMs: Math.max(0, endMs - startMs),
      ok,
      sourceBytes: null,
    });
  }
  // ESM: the first resolve of a URL names its first importer; its load event gives timing and size.
  for (const event of recording.esm) {
    const key = keyFromUrl(event.url);
    let module = byKey.get(key);
    if (event.t === 'r') {
      const parentKey = event.parentURL ? keyFromUrl(event.parentURL) : null;
      if (!module) {
        module = {
          key,
          url: event.url,
          kind: kindOf(key, event.format),
          parentKey,
          specifier: event.specifier ?? null,
          cjsId: -1,
          startMs: Number.NaN,
          spanMs: 0,
          ok: true,
          sourceBytes: null,
        };
        byKey.set(key, module);
      } else if (module.parentKey === null && parentKey !== null && parentKey !== key) {
        // A CommonJS module imported from ESM: the CJS stack had no loader on it, the import graph does.
        module.parentKey = parentKey;
        module.specifier = event.specifier ?? null;
      }
      if (event.format === 'module') {
        module.kind = kindOf(key, 'module');
        module.url ??= event.url;
      }
    } else if (module) {
      if (event.format === 'module') module.url ??= event.url;
      if (module.cjsId < 0 && event.start !== undefined && event.end !== undefined) {
        module.startMs = event.start - recording.startedAt;
        module.spanMs = Math.max(0, event.end - event.start);
      }
      if (event.size !== undefined) module.sourceBytes = event.size;
    }
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
