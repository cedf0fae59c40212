/**
 * Which of the packages the program's own files import did start-up call into: read once, at the stop
 * point, after the heap, from V8's best-effort coverage (Profiler.getBestEffortCoverage: no
 * instrumentation, so nothing changes while the program runs). A package's API is what its module
 * exports (the export itself when it is a function, and each own property that is a function or
 * class); a package none of whose API functions ran is one start-up did not use (its own loading runs
 * its internal functions, not usually its API). `importcost defer` is what proves it.
 *
 * Node 22+ only: Node 20's V8 reports a function called once or twice as not run (seen: express's
 * createApplication, @aws-sdk/client-s3's S3Client constructed at start-up), which would mark a package
 * start-up uses as unused. Built-ins only.
 */
import fs = require('node:fs');
import url = require('node:url');
import type { StartupUseRecord } from '../recording/format.js';
import ownCode = require('./own-code.cjs');

/** The package folder of a file in node_modules, else null. */
const packageRoot = (file: string): string | null => ownCode.packageOfFile(file)?.root ?? null;

/** API functions looked at per module (a module with thousands of exports is cut there). */
const MAX_API = 2000;
/** Functions V8 runs when a class is defined, not when it is used. */
const DEFINITION_TIME = /^<static_(initializer|fields_initializer)>$/;

interface CoverageFunction {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}
interface ScriptCoverage {
  url: string;
  functions: CoverageFunction[];
}

/** V8's best-effort coverage is right about functions called once on V8 12+ (Node 22+). */
function coverageIsReliable(): boolean {
  return Number(process.versions.v8.split('.')[0]) >= 12;
}

/** The exported functions of a module: [name, function], the export itself first. */
function apiOf(exports: unknown): [string, Function][] {
  const api: [string, Function][] = [];
  if (typeof exports === 'function') api.push([exports.name || 'default', exports]);
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return api;
  for (const key of Object.getOwnPropertyNames(exports)) {
    if (api.length >= MAX_API) break;
    const value = ownCode.readExport(exports, key);
    if (typeof value === 'function' && value !== exports && !(key === 'prototype' && typeof exports === 'function')) api.push([key, value]);
  }
  return api;
}

/**
 * For each module a program file imports from node_modules (require.cache's children of the program's
 * own files): its API functions and those of them that ran. `post` is the agent's inspector session.
 */
function readStartupUse(post: (method: string, params?: object) => any, cache: Parameters<typeof ownCode.importedFromPackages>[0]): StartupUseRecord[] | null {
  if (!coverageIsReliable()) return null;
  const modules = ownCode.importedFromPackages(cache);
  if (modules === null) return null;
  if (modules.size === 0) return [];
  let scripts: ScriptCoverage[];
  try {
    scripts = (post('Profiler.getBestEffortCoverage') as { result: ScriptCoverage[] }).result;
  } catch {
    return null;
  }
  // Coverage by package root (the packages of the modules above), each script's functions by name: the
  // name V8 gives (`exports.compileETag`), and the part after its last dot.
  const roots = new Set([...modules.keys()].map(packageRoot));
  const byRoot = new Map<string, ScriptIndex[]>();
  for (const script of scripts) {
    if (!script.url.startsWith('file:')) continue;
    const file = url.fileURLToPath(script.url);
    const root = packageRoot(file);
    if (root === null || !roots.has(root)) continue;
    const byName = new Map<string, CoverageFunction[]>();
    for (const f of script.functions) {
      const short = f.functionName.slice(f.functionName.lastIndexOf('.') + 1);
      for (const name of short === f.functionName ? [short] : [short, f.functionName]) {
        const list = byName.get(name);
        if (list) list.push(f);
        else byName.set(name, [f]);
      }
    }
    let list = byRoot.get(root);
    if (!list) byRoot.set(root, (list = []));
    list.push({ file, functions: script.functions, byName });
  }
  const sources = new Map<string, string | null>();
  const sourceOf = (file: string): string | null => {
    if (!sources.has(file)) {
      let text: string | null = null;
      try {
        text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      } catch {
        text = null;
      }
      sources.set(file, text);
    }
    return sources.get(file)!;
  };
  const records: StartupUseRecord[] = [];
  for (const [file, exports] of modules) {
    const api = apiOf(exports);
    const scriptsOfPackage = byRoot.get(packageRoot(file)!) ?? [];
    const called: string[] = [];
    for (const [name, fn] of api) {
      if (ran(fn, scriptsOfPackage, sourceOf)) called.push(name);
    }
    records.push({ file, api: api.length, called });
  }
  return records;
}

interface ScriptIndex {
  file: string;
  functions: CoverageFunction[];
  byName: Map<string, CoverageFunction[]>;
}

/**
 * Whether `fn` ran: the coverage entry whose source text is the function's own has a count; for a class,
 * any of its functions but those V8 runs when the class is defined. A function coverage does not list
 * did not run (V8 lists every function that ran, and those inside one that did).
 */
function ran(fn: Function, scripts: ScriptIndex[], sourceOf: (file: string) => string | null): boolean {
  const name = fn.name;
  if (name === '') return false;
  for (const script of scripts) {
    const named = script.byName.get(name);
    if (named === undefined) continue;
    let text: string;
    try {
      text = Function.prototype.toString.call(fn);
    } catch {
      return false;
    }
    const source = sourceOf(script.file);
    if (source === null) continue;
    if (!/^class\b/.test(text)) {
      for (const f of named) {
        const range = f.ranges[0]!;
        if (range.endOffset - range.startOffset === text.length && source.startsWith(text, range.startOffset)) return range.count > 0;
      }
      continue;
    }
    // A class: its constructor's entry (named after it) lies inside its text.
    for (const f of named) {
      const start = source.lastIndexOf('class', f.ranges[0]!.startOffset);
      if (start < 0 || !source.startsWith(text, start)) continue;
      const end = start + text.length;
      return script.functions.some((g) => {
        const range = g.ranges[0]!;
        return range.startOffset >= start && range.endOffset <= end && range.count > 0 && !DEFINITION_TIME.test(g.functionName);
      });
    }
  }
  return false;
}

export = { readStartupUse };
