/**
 * The files inside a bundle, as modules of their own ("virtual modules"), read off the heap profile's
 * stacks through the bundle's source map. Pure.
 *
 * V8's sampling heap profiler names each frame by its function's start (the parameter list), so a frame
 * in a bundle maps to the original file that defines the function. Frames fall into three kinds:
 * - init: a module's wrapper, which runs its top-level code. esbuild names each `__commonJS` and `__esm`
 *   wrapper after the module's path (`"node_modules/ms/index.js"(exports, module)`), webpack each module
 *   factory after its id (a path in development builds). Matched to a source of the map by that path;
 *   where a package ships maps of its own, the bundler follows them and the map names the package's
 *   sources instead (ajv: `lib/ajv.ts` for `dist/ajv.js`): then the source its body maps to.
 * - code: any other function that maps to an original file.
 * - runtime: the bundler's own helpers (esbuild's `__require`, `__toESM`; webpack's `__webpack_require__`),
 *   which map to no file or to the bundler's runtime sources.
 * For an allocation, the innermost init frame decides, as a module's load does outside a bundle: what
 * runs while a module initialises is that module's, whichever file's function does it. Where no init
 * frame is on the stack (hoisted code: rollup, esbuild's ESM scope hoisting), the innermost code frame
 * decides. What runs under the bundle's own load with neither (reading and compiling its text, the
 * bundle's top level) stays with the bundle: its own line, which deferring a package inside does not remove.
 * A runtime helper that calls a module's wrapper for the first time (esbuild's `__require`, webpack's
 * `__webpack_require__`) is where V8 compiles that wrapper, lazily: one profile node for every wrapper it
 * calls from the same place. What it allocated just before a wrapper's own allocations began is that
 * wrapper's (samples in allocation order). Sharing by compiled size instead read lodash +49..+69% on
 * Node 22-26 (its wrapper is large, but its top level is one call: it compiles 0.12 MB there, and
 * @aws-sdk/client-s3's 0.78 MB). Only what no wrapper's allocations followed (or a profile without
 * that order) is shared among the wrappers by their compiled size (estimated).
 */
import { posix } from 'node:path';
import { FLAT_NODE_FIELDS, type FlatSamplingProfile } from '../recording/format.js';
import { firstSourceAfter, isBundleMap, originalPositionOf, type DecodedMap } from './decoded-map.js';
import { rawModule, type RawModule } from './list-modules.js';
import { sampleWeight, type Sampling } from './sample-weights.js';

export const FRAME_INIT = 1;
export const FRAME_CODE = 2;
export const FRAME_RUNTIME = 3;

/** By original file: each require() and import in it (FileFacts.sourceImports). */
type BundleImports = Record<string, { specifier: string; line: number; column: number }[]>;

/** Per profile node: what its frame is in a bundle, and the module it names. */
export interface BundleFrameTable {
  /** FRAME_* per node; 0 for a frame outside the bundles. */
  kind: Uint8Array;
  /** The virtual module an init or code frame names; the bundle's module for every bundle frame otherwise; -1 outside bundles. */
  module: Int32Array;
  /** Per node of kind runtime: the modules whose wrappers it called (see the top of this file). */
  split: Map<number, WrapperCall[]>;
  /** The bundles' own modules. */
  bundleModules: Set<number>;
}

/** A module whose wrapper a runtime node called, and how that node's bytes go to it. */
export interface WrapperCall {
  module: number;
  /** Bytes the node allocated just before the wrapper's own allocations began (compiling it). */
  measured: number;
  /** Its compiled size in chars: how the bytes that no wrapper's allocations followed are shared. */
  weight: number;
}

/** A bundle in the run: its module and its decoded map, with a way to name its wrappers. */
interface BundleIndex {
  key: string;
  map: DecodedMap;
  /** Sources by file name, to match wrapper names (paths relative to the bundler's folder) against. */
  byBaseName: Map<string, number[]>;
  /** Role of each distinct frame, by `${name}\n${line}:${column}`. */
  roles: Map<string, { kind: number; source: number }>;
}

function indexBundle(key: string, map: DecodedMap): BundleIndex {
  const byBaseName = new Map<string, number[]>();
  map.sources.forEach((source, i) => {
    if (source === null) return;
    const base = posix.basename(source);
    const list = byBaseName.get(base);
    if (list) list.push(i);
    else byBaseName.set(base, [i]);
  });
  return { key, map, byBaseName, roles: new Map() };
}

/** The source a wrapper's name is the path of: `../../app/node_modules/ms/index.js`, `./src/a.js`. */
function sourceNamed(bundle: BundleIndex, name: string): number {
  if (!name.includes('/') && !/\.[a-z]+$/i.test(name)) return -1;
  const tail = name.replace(/^(\.\.?\/)+/, '');
  const candidates = bundle.byBaseName.get(posix.basename(tail));
  if (!candidates) return -1;
  for (const i of candidates) {
    const source = bundle.map.sources[i]!;
    if (source === tail || source.endsWith(`/${tail}`)) return i;
  }
  return -1;
}

/** A wrapper named by a compiled file's path whose map names that file's own source (see the top of this file). */
function sourceMappedFrom(bundle: BundleIndex, name: string, line: number, column: number): number {
  if (!/^[^\s()]+\.([cm]?js|json)$/.test(name)) return -1;
  // The first mapped line of its body: a compiler's preamble maps to nothing (tsc's "use strict",
  // `Object.defineProperty(exports, "__esModule", ...)` and `exports.a = exports.b = void 0` lines).
  const source = firstSourceAfter(bundle.map, line, column, 40);
  if (source < 0) return -1;
  const path = bundle.map.sources[source]!;
  // Only the same file compiled: in the same package, or (outside node_modules) of the same base name.
  const packageOf = (p: string): string | null => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1] ?? null;
  const stem = (p: string): string => posix.basename(p).replace(/\.[^.]+$/, '');
  const same = packageOf(name) === null ? packageOf(path) === null && stem(path) === stem(name) : packageOf(path) === packageOf(name);
  return same ? source : -1;
}

function roleOf(bundle: BundleIndex, name: string, line: number, column: number): { kind: number; source: number } {
  const id = `${name}\n${line}:${column}`;
  let role = bundle.roles.get(id);
  if (!role) {
    const named = sourceNamed(bundle, name);
    const mapped = named >= 0 ? named : sourceMappedFrom(bundle, name, line, column);
    if (mapped >= 0) role = { kind: FRAME_INIT, source: mapped };
    else {
      // The top level of the bundle itself (line 0, column 0) is no file's code, whatever is mapped there.
      const at = line === 0 && column === 0 ? null : originalPositionOf(bundle.map, line, column);
      role = at ? { kind: FRAME_CODE, source: at.source } : { kind: FRAME_RUNTIME, source: -1 };
    }
    bundle.roles.set(id, role);
  }
  return role;
}

/** Bundles of the run, by the url their frames carry (the module key: CommonJS frames name the path). */
function bundlesOf(modules: readonly RawModule[], maps: Record<string, DecodedMap>): Map<string, BundleIndex> {
  const bundles = new Map<string, BundleIndex>();
  for (const m of modules) {
    const map = maps[m.key];
    if (!map || !isBundleMap(map) || m.bundle !== undefined) continue;
    const index = indexBundle(m.key, map);
    bundles.set(m.key, index);
    if (m.url !== null) bundles.set(m.url, index);
  }
  return bundles;
}

/** What the profile shows of the files inside the run's bundles (findBundledModules). */
export interface BundledModules {
  /** The files that ran, as modules of their own, in the order first seen. */
  modules: RawModule[];
  /**
   * Modules of the run that a bundle loaded through Node's loader (builtins, externals), by key: the
   * file inside the bundle whose frame is nearest outside their load's, on a stack of their own.
   */
  loadedFrom: Map<string, string>;
}

/**
 * The modules inside the run's bundles that the profile shows running (an init or code frame of theirs
 * is on some stack), each first loaded by the module whose frame is nearest outside its own (else the
 * bundle). Modules that allocated nothing sampled do not show. `loadOf` names the run's module a frame
 * is the load of (a trampoline), if any.
 */
export function findBundledModules(
  profile: FlatSamplingProfile,
  modules: readonly RawModule[],
  maps: Record<string, DecodedMap>,
  sourceImports: BundleImports,
  loadOf: (url: string, line: number) => string | undefined,
): BundledModules {
  const bundles = bundlesOf(modules, maps);
  if (bundles.size === 0) return { modules: [], loadedFrom: new Map() };
  const byKey = new Map(modules.map((m) => [m.key, m]));
  const { urls, names, nodes } = profile;
  const count = nodes.length / FLAT_NODE_FIELDS;
  /** Per node: the key of the innermost bundled module on its stack ('' for none). */
  const nearest: string[] = new Array(count).fill('');
  const found = new Map<string, RawModule>();
  // Wrappers first: a module is loaded where its wrapper runs. A file whose functions alone show (hoisted
  // code, or a wrapper that allocated nothing sampled) is placed where one of them first ran.
  for (const pass of [FRAME_INIT, FRAME_CODE]) {
    for (let i = 0; i < count; i++) {
      const at = i * FLAT_NODE_FIELDS;
      const parent = nodes[at]! < i ? nodes[at]! : -1;
      const outer = parent < 0 ? '' : nearest[parent]!;
      nearest[i] = outer;
      const bundle = bundles.get(urls[nodes[at + 1]!]!);
      if (!bundle) continue;
      const role = roleOf(bundle, names[nodes[at + 2]!]!, nodes[at + 3]!, nodes[at + 4]!);
      if (role.kind === FRAME_RUNTIME || (role.kind !== pass && !found.has(bundle.map.sources[role.source]!))) continue;
      const key = bundle.map.sources[role.source]!;
      // The outer module must be in the same bundle (a bundle loading another starts from its own top).
      const outerModule = outer === '' ? null : found.get(outer);
      const parentKey = outerModule && outerModule.bundle === bundle.key ? outer : bundle.key;
      if (!found.has(key) && !byKey.has(key)) {
        found.set(
          key,
          rawModule(key, {
            kind: /\.(mjs|mts)$/.test(key) ? 'esm' : key.endsWith('.json') ? 'json' : 'cjs',
            parentKey,
            // (The bundle's top level runs its entry, which bundlers put last: the app's files from the last.)
            ...siteFor(parentKey === bundle.key ? bundle.map.sources.filter((s): s is string => s !== null && !s.includes('/node_modules/')).reverse() : [parentKey], key, sourceImports),
            // Inside a bundle nothing times a module's load: it starts with the bundle, and takes no time of its own.
            startMs: byKey.get(bundle.key)!.startMs,
            bundle: bundle.key,
          }),
        );
      }
      if (found.has(key)) nearest[i] = key;
    }
  }
  // A builtin or an external a bundled file required: its load's frame sits under that file's frames.
  // (The line in the bundle where the loader saw the require may be another file's: bundlers repeat
  // `require("http2")` in every file that needs it.)
  const loadedFrom = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const at = i * FLAT_NODE_FIELDS;
    const outer = nearest[i]!;
    if (outer === '') continue;
    const loaded = loadOf(urls[nodes[at + 1]!]!, nodes[at + 3]!);
    if (loaded === undefined || loadedFrom.has(loaded) || byKey.get(loaded)?.parentKey !== found.get(outer)?.bundle) continue;
    loadedFrom.set(loaded, outer);
  }
  return { modules: [...found.values()], loadedFrom };
}

/**
 * The import that brought in `childKey`: the first in `importers` (its parent's source, or for a file the
 * bundle's top level loaded, the app's own files in the bundle) that names it, when one can be found.
 */
function siteFor(importers: string[], childKey: string, sourceImports: BundleImports): Pick<RawModule, 'specifier' | 'site'> {
  for (const file of importers) {
    for (const { specifier, line, column } of sourceImports[file] ?? []) {
      if (specifierMatches(specifier, file, childKey)) return { specifier, site: { file, line, column } };
    }
  }
  return { specifier: null };
}

/** Whether `specifier`, written in `parent`, names `child` (relative paths by resolving, packages by their folder). */
export function specifierMatches(specifier: string, parent: string, child: string): boolean {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const base = posix.resolve(posix.dirname(parent), specifier);
    if (child === base) return true;
    // Extensions and index files Node and bundlers add; TypeScript's `./a.js` for `./a.ts`.
    const rest = child.startsWith(base) ? child.slice(base.length) : null;
    if (rest !== null && /^(\.[cm]?[jt]sx?|\.json|\/index\.([cm]?[jt]sx?|json))$/.test(rest)) return true;
    return /\.[cm]?js$/.test(base) && child.replace(/\.[cm]?tsx?$/, '') === base.replace(/\.[cm]?js$/, '');
  }
  if (specifier.startsWith('node:')) return false;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  const sub = specifier.slice(name.length);
  const marker = `/node_modules/${name}/`;
  const at = child.lastIndexOf(marker);
  if (at < 0) return false;
  if (sub === '') return true;
  const rest = child.slice(at + marker.length - 1);
  return rest === sub || rest.startsWith(`${sub}.`) || rest.startsWith(`${sub}/index.`);
}

/**
 * What each profile node's frame is in a bundle (see the top of this file), with module indexes from
 * `indexOf` (module key -> index), and what runtime nodes allocated for the wrappers they called.
 */
export function bundleFrameTable(
  profile: FlatSamplingProfile,
  modules: readonly RawModule[],
  maps: Record<string, DecodedMap>,
  indexOf: ReadonlyMap<string, number>,
  sampling: Sampling,
): BundleFrameTable | null {
  const bundles = bundlesOf(modules, maps);
  if (bundles.size === 0) return null;
  const { urls, names, nodes } = profile;
  const count = nodes.length / FLAT_NODE_FIELDS;
  const table: BundleFrameTable = { kind: new Uint8Array(count), module: new Int32Array(count).fill(-1), split: new Map(), bundleModules: new Set() };
  /** By the node of a wrapper that a runtime node called. */
  const calls = new Map<number, WrapperCall>();
  for (const bundle of bundles.values()) if (indexOf.has(bundle.key)) table.bundleModules.add(indexOf.get(bundle.key)!);
  for (let i = 0; i < count; i++) {
    const at = i * FLAT_NODE_FIELDS;
    const bundle = bundles.get(urls[nodes[at + 1]!]!);
    if (!bundle) continue;
    const role = roleOf(bundle, names[nodes[at + 2]!]!, nodes[at + 3]!, nodes[at + 4]!);
    const own = indexOf.get(bundle.key) ?? -1;
    const module = role.kind === FRAME_RUNTIME ? -1 : (indexOf.get(bundle.map.sources[role.source]!) ?? -1);
    // A source that is no module of its own (it is a real module loaded outside the bundle too) is the bundle's.
    table.kind[i] = module < 0 ? FRAME_RUNTIME : role.kind;
    table.module[i] = module < 0 ? own : module;
    const parent = nodes[at]!;
    if (table.kind[i] === FRAME_INIT && parent >= 0 && parent < i && table.kind[parent] === FRAME_RUNTIME) {
      let list = table.split.get(parent);
      if (!list) table.split.set(parent, (list = []));
      const call = { module, measured: 0, weight: Math.max(1, bundle.map.generatedChars[role.source] ?? 1) };
      list.push(call);
      calls.set(i, call);
    }
  }
  if (profile.ordered && profile.sizes) measureWrapperCalls(profile, table.split, calls, sampling);
  return table;
}

/**
 * Walk the samples in allocation order: what a runtime node allocated is pending until an allocation
 * under one of the wrappers it called comes next, and then that wrapper's (WrapperCall.measured).
 */
function measureWrapperCalls(profile: FlatSamplingProfile, split: ReadonlyMap<number, WrapperCall[]>, calls: ReadonlyMap<number, WrapperCall>, sampling: Sampling): void {
  const { nodes } = profile;
  const sizes = profile.sizes!;
  const count = nodes.length / FLAT_NODE_FIELDS;
  const parentOf = (node: number): number => nodes[node * FLAT_NODE_FIELDS]!;
  /** Per node: the nearest node on its stack (itself included) that is a wrapper a runtime node called. */
  const nearestCall = new Int32Array(count).fill(-1);
  for (let i = 0; i < count; i++) {
    const parent = parentOf(i);
    nearestCall[i] = calls.has(i) ? i : parent >= 0 && parent < i ? nearestCall[parent]! : -1;
  }
  /** Bytes by runtime node, allocated since the last wrapper it called allocated. */
  const pending = new Map<number, number>();
  for (let k = 0; k + 1 < sizes.length; k += 2) {
    const node = sizes[k]!;
    if (node < 0 || node >= count) continue;
    // Every wrapper on this allocation's stack has started: what its runtime node had pending is its.
    for (let call = nearestCall[node]!; call >= 0; ) {
      const runtime = parentOf(call);
      const bytes = pending.get(runtime);
      if (bytes !== undefined) {
        calls.get(call)!.measured += bytes;
        pending.delete(runtime);
      }
      const above = parentOf(runtime);
      call = above >= 0 ? nearestCall[above]! : -1;
    }
    if (split.has(node)) pending.set(node, (pending.get(node) ?? 0) + sampleWeight(sizes[k + 1]!, sampling));
  }
}
