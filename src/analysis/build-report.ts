/**
 * recording + file facts -> the report, built once and frozen. Pure: every fact about files (packages,
 * source sizes, import sites) is gathered by the caller (src/profile/file-facts.ts) and passed in.
 */
import type { Recording, RecordingHeap, RecordingModules, StartupUseRecord } from '../recording/format.js';
import {
  REPORT_SCHEMA,
  type ImportSite,
  type Report,
  type ReportBucket,
  type ReportModule,
  type ReportPackage,
  type ReportProcess,
  type ReportProcessSummary,
  type ReportStartupUse,
} from '../report/format.js';
import { attributeHeap, flatProfile, loadAt, shareByWeight, type AttributionIndex } from './attribute-heap.js';
import { bundleFrameTable, findBundledModules } from './bundles.js';
import { isBundleMap, type DecodedMap } from './decoded-map.js';
import { dominatorTree, importEdges, sumDominated, type DominatorTree } from './import-graph.js';
import { keyFromUrl, listModules, type RawModule } from './list-modules.js';
import { displayName } from './names.js';

export interface PackageFact extends ReportPackage {
  /** Directory holding the package.json. */
  root: string;
}

export interface FileFacts {
  /** By module key: the package that owns the file, or null. */
  packages: Record<string, PackageFact | null>;
  /**
   * By module key, for ESM modules and the CommonJS files ES modules import: the source as V8 keeps it, in
   * bytes (one a character, two where any is beyond Latin-1): what decoding it retains.
   */
  sourceBytes: Record<string, number>;
  /** The same files' length in characters: what compiling and parsing them grow with, whatever the encoding. */
  sourceChars: Record<string, number>;
  /** By `${importer key}\n${specifier}`: where that require() or import stands. */
  sites: Record<string, ImportSite>;
  /** By module key: the decoded source map of a bundle or a compiled file (src/profile/source-maps.ts). */
  sourceMaps?: Record<string, DecodedMap>;
  /** By original file (the files inside a bundle): each require() and import in it, in order. */
  sourceImports?: Record<string, { specifier: string; line: number; column: number }[]>;
  /** One line each: source maps that could not be used. */
  notes?: string[];
}

export interface BuildOptions {
  importcost: string;
  /** The command as the user gave it. */
  command: string[];
  /** What the CLI saw of the target's end; overrides the agent's view where it knows more. */
  exit?: { exitCode: number | null; signal: string | null };
  /** Which process or thread this is, with its role among the command's (analysis/process-roles.ts). */
  process?: ReportProcess;
  /**
   * By builtin (`stream`), what the agent's own builtins took from the program's first load of it
   * (profile/builtin-costs.ts): charged to that builtin's module (estimated), out of the baseline.
   */
  agentPaid?: Record<string, number>;
  /**
   * The ESM loader's first use on the target's Node, in bytes (profile/esm-first-use.ts): the bucket
   * `esm-first-use`, out of the loader's pools, else out of the first ES module (estimated).
   */
  esmFirstUse?: number;
  /**
   * By builtin (`https`), the Node modules its first require loads after the builtins before it in source
   * order (profile/builtin-loads.ts), for the builtins an earlier import claims (sourceOrderClaims): their
   * code, run inside a later import's link, is that builtin's too.
   */
  builtinLoads?: Record<string, string[]>;
  /**
   * The source length in characters from which the target's Node decodes a source to a string outside
   * V8's heap (profile/external-sources.ts), 0 or absent where it never does: such a source keeps nothing
   * in the loader's decode pool, so it gets no share of it.
   */
  externalSourceLength?: number;
}

/**
 * Whether any ES module, or CommonJS module an ES module imported, has a source of at least `length`
 * characters (whether the external-sources probe has anything to decide).
 */
export function hasLongSource(prepared: PreparedReport, length: number): boolean {
  return Object.values(prepared.facts.sourceChars).some((chars) => chars >= length);
}

/**
 * The first ES module the process loaded, where an import loaded it (static or dynamic), else -1. Where
 * a require() loaded the first one (require(esm), Node 20.19+ and 22.12+: get-intrinsic requires its
 * dependencies' `module-sync` ES modules), the loader's first use is that require's, as the ground truth
 * of a CommonJS program (measured cold) counts it: no esm-first-use bucket then (on Node 20, 0.28 MB taken
 * from express in the clean-room test made it read -14.5% against -4.5%).
 */
export function firstImportedEsm(raw: readonly RawModule[]): number {
  const first = raw.findIndex((m) => m.kind === 'esm');
  return first >= 0 && raw[first]!.cjsId < 0 ? first : -1;
}

/** The frame-url prefixes of the agent: every file in its folder (its parts, and the ESM hooks beside them). */
function agentPrefixes(agentUrl: string): string[] {
  const dir = agentUrl.slice(0, agentUrl.lastIndexOf('/') + 1);
  return [dir, `file://${dir}`];
}

/**
 * Build the frozen report. `factsFor` is handed the merged module list and returns what the analysis
 * needs to know about those files (src/profile/file-facts.ts reads them from disk; tests pass data).
 */
export function buildReport(
  recording: Recording,
  factsFor: (modules: readonly RawModule[]) => FileFacts,
  options: BuildOptions,
): Report {
  return finishReport(prepareReport(recording, factsFor), recording, options);
}

/** Everything of the report that does not depend on the heap: modules, their tree, graph, names and times. */
export interface PreparedReport {
  recording: RecordingModules;
  raw: RawModule[];
  facts: FileFacts;
  parentOf: (number | null)[];
  children: number[][];
  index: AttributionIndex;
  imports: number[][];
  dominators: DominatorTree;
  /** Per module: its code and trusted spaces' measured growth less that of the CJS loads nested in it. */
  unsampledBytes: number[];
  selfMs: number[];
  totalMs: number[];
  /** Per module: the report's fields that do not depend on the heap. */
  names: string[];
  packages: (PackageFact | null)[];
  sites: (ImportSite | null)[];
  /** Per module: its place in a walk of the first-load tree in source order (sourceOrderWalk). */
  sourceOrder: Int32Array;
}

/**
 * The part of buildReport that needs only the first part of the recording (the CLI runs it while the
 * agent writes the profile and the target exits).
 */
export function prepareReport(recording: RecordingModules, factsFor: (modules: readonly RawModule[]) => FileFacts): PreparedReport {
  const raw = listModules(recording);
  return describeModules(recording, raw, factsFor(raw));
}

/** prepareReport's work on a given module list: the run's own, or with the files found inside its bundles. */
function describeModules(recording: RecordingModules, raw: RawModule[], facts: FileFacts): PreparedReport {
  const indexOf = new Map<string, number>(raw.map((m, i) => [m.key, i]));
  const bundled = raw.some((m) => m.bundle !== undefined);
  const parentOf = raw.map((m) => {
    // A module a bundle loaded (a builtin, an external) from one of the files inside it: that file, as
    // the stacks show it, else as the line the loader saw the require on maps.
    const inside = !bundled ? undefined : (m.loadedFrom ?? (m.parentKey !== null && m.specifier !== null ? facts.sites[`${m.parentKey}\n${m.specifier}`]?.original?.file : undefined));
    const key = inside !== undefined && raw[indexOf.get(inside) ?? -1]?.bundle === m.parentKey ? inside : m.parentKey;
    const parent = key === null ? undefined : indexOf.get(key);
    return parent === undefined ? null : parent;
  });
  breakCycles(parentOf);
  const children: number[][] = raw.map(() => []);
  parentOf.forEach((p, i) => {
    if (p !== null) children[p]!.push(i);
  });

  const sites = raw.map((m, i) => siteOf(m, parentOf[i] === null ? null : raw[parentOf[i]!]!, facts));

  // ---- how heap samples name their module (used by finishReport) --------------------------
  const index: AttributionIndex = {
    trampolinePrefix: recording.trampolinePrefix,
    trampolineBatch: recording.trampolineBatch ?? 0,
    byCjsId: new Map(),
    hookPrefix: recording.hookTrampolinePrefix ?? null,
    byHook: new Map(),
    byEsmUrl: new Map(),
    byBuiltin: new Map(),
    byBuiltinFacade: new Map(),
    agentPrefixes: agentPrefixes(recording.agentUrl),
  };
  raw.forEach((m, i) => {
    if (m.cjsId >= 0) index.byCjsId.set(m.cjsId, i);
    if (m.url !== null && m.kind === 'esm') index.byEsmUrl.set(m.url, i);
    if (m.kind === 'builtin') index.byBuiltin.set(m.key, i);
  });
  const { order, last } = sourceOrderWalk(raw, parentOf, children, sites);
  // A builtin a require loaded first gets its ESM facade when an ES module first imports it: that
  // import's cost (see attribute-heap.ts). First in source order, as the ground truth imports one
  // dependency after another: Node 22 links an import graph asynchronously, and its hooks saw got import
  // node:process before vfile did, though unified (vfile's) comes first in the bench's ESM tree; unified
  // read -64..-67% there without node:process's facade (0.3 MB). On Node 24 and 26 the orders agree.
  for (const event of recording.esm) {
    if (event.t !== 'r' || !event.parentURL || !event.url.startsWith('node:')) continue;
    const [builtin, importer] = [indexOf.get(keyFromUrl(event.url)), indexOf.get(keyFromUrl(event.parentURL))];
    if (builtin === undefined || importer === undefined || raw[builtin]!.cjsId < 0 || raw[importer]!.kind !== 'esm') continue;
    const first = index.byBuiltinFacade!.get(raw[builtin]!.key);
    if (first === undefined || order[importer]! < order[first]!) index.byBuiltinFacade!.set(raw[builtin]!.key, importer);
  }
  sourceOrderClaims(raw, parentOf, index, order, last);
  // Loads of a path seen twice (a module deleted from require.cache and loaded again) charge the first.
  for (const [id, path] of recording.cjs) {
    if (!index.byCjsId.has(id)) index.byCjsId.set(id, indexOf.get(path)!);
  }
  // Node 22+'s in-thread hooks: a load's work is the module's; an import's resolving is the module it
  // first brought in (as the ground truth, which loads a dependency and all it first brings in, counts it;
  // the loader's first-use costs with it), else the importer's, whose import it is.
  recording.hookOwners?.forEach(([url, parentURL], id) => {
    const child = url === '' ? undefined : indexOf.get(keyFromUrl(url));
    if (parentURL === null) {
      if (child !== undefined) index.byHook.set(id, child);
      return;
    }
    const parent = indexOf.get(keyFromUrl(parentURL));
    const owner = child !== undefined && (parent === undefined || parentOf[child] === parent) ? child : parent;
    if (owner !== undefined) index.byHook.set(id, owner);
  });
  // The agent measured the growth of V8's code and trusted spaces around each CJS load; each module's is
  // that less the loads nested in it. The sampler saw part of it: finishReport counts the rest.
  const unsampledBytes = raw.map((m, i) => {
    if (m.cjsId < 0) return 0;
    let nested = 0;
    for (const c of children[i]!) if (raw[c]!.cjsId >= 0) nested += raw[c]!.unsampledSpanBytes;
    return Math.max(0, m.unsampledSpanBytes - nested);
  });

  // ---- time ------------------------------------------------------------------------------
  // CJS loads nest on the stack: self = own span less the spans of the CJS loads nested in it.
  // ESM loads do not nest; their span is fetching the source, plus evaluating the body where the run saw
  // it end (--esm-evaluation). Inclusive sums over the first-load tree.
  const selfMs = raw.map((m, i) => {
    let nested = 0;
    if (m.cjsId >= 0) for (const c of children[i]!) if (raw[c]!.cjsId >= 0) nested += raw[c]!.spanMs;
    return Math.max(0, m.spanMs - nested);
  });
  const totalMs = new Array<number>(raw.length).fill(0);
  for (const i of postOrder(children, parentOf)) totalMs[i] = selfMs[i]! + children[i]!.reduce((sum, c) => sum + totalMs[c]!, 0);

  // ---- the whole import graph, names, packages, import sites --------------------------------
  const imports = importEdges(raw, indexOf, parentOf, recording);
  const dominators = dominatorTree(imports, parentOf.flatMap((p, i) => (p === null ? [i] : [])));
  /** Package roots already named bare (modules are in load order: the first entry gets the bare name). */
  const enteredRoots = new Set<string>();
  const packages = raw.map((m) => facts.packages[m.key] ?? null);
  const names = raw.map((m, i) => {
    const parent = parentOf[i]!;
    const pkg = packages[i]!;
    const parentPkg = parent === null ? null : packages[parent]!;
    const firstEntry = pkg !== null && parentPkg?.root !== pkg.root && !enteredRoots.has(pkg.root);
    if (firstEntry) enteredRoots.add(pkg.root);
    // A compiled file with a map of its own source (tsc, swc) goes by that source's name.
    const map = facts.sourceMaps?.[m.key];
    const source = map && !isBundleMap(map) ? map.sources.find((s) => s !== null) : undefined;
    return displayName(source ?? m.key, pkg, firstEntry, recording.cwd);
  });
  return { recording, raw, facts, parentOf, children, index, imports, dominators, unsampledBytes, selfMs, totalMs, names, packages, sites, sourceOrder: order };
}

/** The report, from what prepareReport made and the second part of the recording (the heap). */
export function finishReport(preparedRun: PreparedReport, heapPart: RecordingHeap, options: BuildOptions): Report {
  const profile = heapPart.profile ? flatProfile(heapPart.profile) : null;
  // The files inside the run's bundles, found on the profile's stacks, join the modules.
  const maps = preparedRun.facts.sourceMaps ?? {};
  const loadOf = (url: string, line: number): string | undefined => {
    const m = loadAt(url, line, preparedRun.index);
    return m === undefined ? undefined : preparedRun.raw[m]!.key;
  };
  const found = profile ? findBundledModules(profile, preparedRun.raw, maps, preparedRun.facts.sourceImports ?? {}, loadOf) : null;
  const inBundles = found?.modules ?? [];
  const prepared =
    inBundles.length === 0
      ? preparedRun
      : describeModules(
          preparedRun.recording,
          [...preparedRun.raw.map((m) => (found!.loadedFrom.has(m.key) ? { ...m, loadedFrom: found!.loadedFrom.get(m.key)! } : m)), ...inBundles].sort((a, b) => a.startMs - b.startMs),
          preparedRun.facts,
        );
  const { raw, facts, parentOf, children, index, imports, dominators, selfMs, totalMs } = prepared;
  const recording = { ...prepared.recording, ...heapPart };
  const indexOfKey = new Map(raw.map((m, i) => [m.key, i]));
  const sampling = { interval: recording.sampleInterval, mode: recording.sampling };
  const frames = profile && inBundles.length > 0 ? bundleFrameTable(profile, raw, maps, indexOfKey, sampling) : null;
  const heap = profile ? attributeHeap(profile, raw.length, withClaimedLoads(index, raw, options.builtinLoads), sampling, frames) : null;
  const selfBytes = raw.map((_, i) => Math.round(heap?.moduleBytes[i] ?? 0));
  const estimatedBytes = raw.map((_, i) => Math.round(heap?.sharedBytes[i] ?? 0));
  // The code and trusted spaces' growth, measured around each CJS load, counts only as far as the samples
  // left the heap's growth unexplained: V8 samples these spaces' objects when the program's thread
  // allocates them (bytecode on Node 22+, baseline code on Node 20 and 22) and not when a compiler thread
  // does, and which is which moves between versions. Measured on the real-deps app (express, lodash,
  // fastify, client-s3), heap growth less the samples less all of the measured growth: -0.05 MB on Node 20,
  // -1.15 MB on Node 22, -3.0..-3.2 MB on Node 24 (bytes counted twice), with express read +3..+5%,
  // +17..+19% and +34..+44% high; without any of it, +0.3..+0.6 MB left unexplained on each. Counted
  // this way, express -2..+13%, -1..+2%, -2..+1% (test/real-deps.test.ts covers all three versions).
  const { spacesAtBaseline, spacesAtEnd, unsampledSpaces } = recording.heap;
  const unsampledGrowth = unsampledSpaces.reduce((sum, name) => sum + (spacesAtEnd[name] ?? 0) - (spacesAtBaseline[name] ?? 0), 0);
  const cjsUnsampled = raw.reduce((sum, m, i) => sum + (parentOf[i] === null || raw[parentOf[i]!]!.cjsId < 0 ? m.unsampledSpanBytes : 0), 0);
  const esmUnsampled = Math.max(0, unsampledGrowth - cjsUnsampled);
  const measuredUnsampled = prepared.unsampledBytes.reduce((a, b) => a + b, 0) + esmUnsampled;
  const unexplained = recording.heap.endBytes - recording.heap.baselineBytes - (heap?.sampledBytes ?? 0);
  const unsampledShare = measuredUnsampled > 0 ? Math.min(1, Math.max(0, unexplained / measuredUnsampled)) : 0;
  const unsampledBytes = prepared.unsampledBytes.map((bytes) => Math.round(bytes * unsampledShare));
  // A bundle's code and trusted spaces grow while the files inside it run (its own text is a string, and
  // its top level is compiled to bytecode, which the sampler sees): shared among those files by their
  // sampled bytes (estimated).
  const insideOf = new Map<number, Map<number, number>>();
  raw.forEach((m, i) => {
    const b = m.bundle === undefined ? undefined : indexOfKey.get(m.bundle);
    if (b === undefined) return;
    if (!insideOf.has(b)) insideOf.set(b, new Map());
    insideOf.get(b)!.set(i, selfBytes[i]!);
  });
  for (const [b, weights] of insideOf) {
    const shares = shareByWeight(unsampledBytes[b]!, weights);
    if (shares.size === 0) continue;
    unsampledBytes[b] = 0;
    for (const [i, bytes] of shares) {
      unsampledBytes[i] = bytes;
      estimatedBytes[i]! += bytes;
    }
  }
  unsampledBytes.forEach((bytes, i) => (selfBytes[i]! += bytes));
  // ESM source text, compiled code and loader bookkeeping are allocated in Node's loader, with no module
  // frame on the stack. Each part is shared out by what it grows with (see LoaderPools): estimated.
  // Two sizes: decoding keeps the source string, whose bytes double where a character is beyond Latin-1;
  // compiling grows with the characters. zod's 95 ES modules are 0.83 M characters, 1.51 MB as strings (61
  // of its files, its locales among them, are two-byte): by string bytes it took twice its share of the
  // compiling, +20% on the bench's ESM tree on Node 24 and 26 (+15..+16% by characters).
  const esmModules = new Map<number, number>();
  const esmChars = new Map<number, number>();
  const charsOf = (m: RawModule): number => facts.sourceChars[m.key] ?? m.sourceBytes ?? 0;
  // A source Node decoded to an external string kept its text outside the heap: nothing of it is in the
  // decode pool (vite's 1.34 M-character chunk took 1.32 MB of zod's 2.2 MB there; zod read -24%).
  const external = options.externalSourceLength ?? 0;
  const sizeOf = (m: RawModule): number => (external > 0 && charsOf(m) >= external ? 0 : (facts.sourceBytes[m.key] ?? m.sourceBytes ?? 0));
  raw.forEach((m, i) => {
    if (m.kind !== 'esm') return;
    esmModules.set(i, sizeOf(m));
    esmChars.set(i, charsOf(m));
  });
  const importedFromEsm = (i: number): boolean => parentOf[i] !== null && raw[parentOf[i]!]!.kind === 'esm';
  // Node 22+'s loader decodes the source of a CommonJS module that an ES module imports, as it does an ES
  // module's (loadWithHooks > decode), and that string is the module's: lodash imported from an .mts
  // entry, 1.09 MB of it, went to execa's ES modules beside it (lodash -41%, execa +39..+43% on Node 24 and
  // 26). So decoding is shared among those too, where the loader handed their source over (the load hook
  // saw its size); compiling, among the ES modules only (a CommonJS module compiles in its own load).
  const builtinsFromEsm = new Map<number, number>();
  const cjsFromEsm = new Map<number, number>();
  const decodeWeights = new Map(esmModules);
  raw.forEach((m, i) => {
    if (!importedFromEsm(i)) return;
    if (m.kind === 'builtin') builtinsFromEsm.set(i, 1);
    if (m.kind !== 'cjs') return;
    cjsFromEsm.set(i, facts.sourceChars[m.key] ?? 1);
    if (m.sourceBytes !== null) decodeWeights.set(i, sizeOf(m));
  });
  const evenly = new Map([...esmModules.keys()].map((i) => [i, 1]));
  const loader = { ...(heap?.loader ?? { decode: 0, source: 0, builtin: 0, cjs: 0, other: 0 }) };
  // What decoding keeps is each source as a string of a known size, so where the decode pool holds about
  // that much, each module gets its own string's bytes rather than a share of the sampled pool. V8's
  // deterministic sampling (a sample every interval, counted on from the end of the object it took) can
  // fall into step with the loader's round of allocations per module: 100 sources of 5,000 characters
  // read 2.46x over in the pool, of 10,000 1.49x, of 20,000 0.82x (Node 26; poisson sampling: 1.04x,
  // 1.00x, 0.65x). On real programs the pool read 0.82-1.15x the sources' bytes (13 recordings, Node 20-26;
  // 1.15x where zod's small two-byte files are, 0.82x with them on Node 22). Where it holds less than half
  // of it, Node decoded elsewhere, and the pool is shared as before. A TypeScript file's decoded text is
  // dropped once its types are stripped (the stripped text is the type-stripping bucket's): none of it.
  const decoded = new Map([...decodeWeights].filter(([i]) => !/\.[cm]?ts$/.test(raw[i]!.key)));
  const decodedBytes = [...decoded.values()].reduce((sum, bytes) => sum + bytes, 0);
  const exactDecode = decodedBytes > 0 && loader.decode >= decodedBytes / 2;
  // The loader's first use (its code paths compiled, its caches started) is no import's cost: deferring
  // the first would hand it to the next. Its size comes from a probe of the same Node (BuildOptions); its
  // bytes have no module on their stacks where Node's loader does the work (the pools), else they ran in
  // the first import's hooks, whose module has them.
  const firstEsm = firstImportedEsm(raw);
  let firstUseLeft = firstEsm < 0 ? 0 : Math.max(0, Math.round(options.esmFirstUse ?? 0));
  let esmFirstUseBytes = 0;
  for (const pool of ['other', 'source', 'decode', 'cjs', 'builtin'] as const) {
    if (pool === 'decode' && exactDecode) continue;
    const taken = Math.min(firstUseLeft, Math.round(loader[pool]));
    loader[pool] -= taken;
    firstUseLeft -= taken;
    esmFirstUseBytes += taken;
  }
  let esmLoaderLeft = 0;
  if (exactDecode) {
    // (What the samples read beyond or short of these bytes goes to the sampling residual.)
    for (const [i, bytes] of decoded) {
      selfBytes[i]! += Math.round(bytes);
      estimatedBytes[i]! += Math.round(bytes);
    }
    loader.decode = 0;
  }
  for (const [pool, weights] of [
    [loader.decode, decodeWeights],
    [loader.source, esmChars],
    [loader.builtin, builtinsFromEsm.size > 0 ? builtinsFromEsm : evenly],
    [loader.cjs, cjsFromEsm.size > 0 ? cjsFromEsm : esmChars],
    [loader.other, evenly],
  ] as const) {
    let left = Math.round(pool);
    for (const [i, bytes] of shareByWeight(left, weights)) {
      selfBytes[i]! += bytes;
      estimatedBytes[i]! += bytes;
      left -= bytes;
    }
    esmLoaderLeft += left;
  }
  if (firstUseLeft > 0) {
    const taken = Math.min(firstUseLeft, selfBytes[firstEsm]!);
    selfBytes[firstEsm]! -= taken;
    estimatedBytes[firstEsm] = Math.max(0, estimatedBytes[firstEsm]! - taken);
    esmFirstUseBytes += taken;
  }
  // The code and trusted spaces' growth that no CommonJS load's span explains (estimated). What the
  // program's thread allocates there is sampled (the loader's compiling is in the pools above); what is
  // left is what V8's compiler threads made, optimised code for the functions that ran, so it is shared by
  // what each module's own code did when it ran: the bytes its own stacks named. By characters, as
  // compiling is, zod got 0.43 MB of it on the bench's ESM tree (Node 26), where compiling all its modules
  // in a fresh process grows those spaces by 0.07 MB; on four kept recordings of that tree (Node 24 and
  // 26), zod went from +11..+16% to +6..+12%, and the mean error of the 64 package readings on 18 kept
  // recordings of ES module programs from 8.95% to 8.32%. Where no ES module's stacks named any bytes,
  // by characters.
  // A CommonJS module's code runs too, and what a compiler thread makes for it after its load's span has
  // ended is in this growth as well: it has its share, by the bytes its stacks named less its own source
  // text (a string it keeps, as an ES module's is in the decode pool) and its span's measured growth. Only
  // ES modules had it before: @aws-sdk/client-s3 then got, from an .mts entry, read got +20..+30% and the
  // SDK -9..-13% on Node 22, 24 and 26, where the truth's SDK grows these spaces by 1.03 MB and got by 0.50
  // MB (Node 24); now got +11..+18%, the SDK -2..-10%. Over the 176 package readings of 60 kept recordings
  // of 9 ES module programs on Node 20-26 (`node test/bench/kept-recordings.mjs`), misses of max(0.4 MB,
  // 15%) 7 -> 3, mean error 9.56% -> 9.40%; lodash imported from an .mts entry -2..+7% -> -2..+9%, yaml
  // in the bench's ESM tree -1..+18% -> +2..+34% (0.1 MB), both CommonJS whose stacks name more than their
  // code makes.
  // (A program of CommonJS modules only keeps it in the residual, as before: its spans explain the rest.)
  const ranBytes = new Map<number, number>();
  if (esmChars.size > 0) {
    raw.forEach((m, i) => {
      if (m.kind === 'esm') ranBytes.set(i, Math.max(0, selfBytes[i]! - estimatedBytes[i]!));
      else if (m.kind === 'cjs') ranBytes.set(i, Math.max(0, selfBytes[i]! - estimatedBytes[i]! - unsampledBytes[i]! - (facts.sourceBytes[m.key] ?? 0)));
    });
  }
  const ran = [...ranBytes.values()].some((bytes) => bytes > 0) ? ranBytes : esmChars;
  for (const [i, bytes] of shareByWeight(Math.round(esmUnsampled * unsampledShare), ran)) {
    selfBytes[i]! += bytes;
    estimatedBytes[i]! += bytes;
    unsampledBytes[i]! += bytes;
  }
  // Exact mode: a CommonJS load's own bytes are its settled heap growth less that of the loads nested in
  // it, measured, not sampled. (Clamped at 0: a GC inside a load can free what an earlier one kept.)
  if (recording.exact) {
    raw.forEach((m, i) => {
      if (m.exactSpanBytes < 0) return;
      let nested = 0;
      for (const c of children[i]!) if (raw[c]!.exactSpanBytes >= 0) nested += raw[c]!.exactSpanBytes;
      selfBytes[i] = Math.max(0, m.exactSpanBytes - nested);
      estimatedBytes[i] = 0;
      unsampledBytes[i] = 0;
    });
  }

  // What the agent's own builtins took from the program's first load of a builtin: the program's, out of
  // the baseline, where the agent had loaded them before the program's first line.
  // Replayed as an ES import (`import:<name>`, builtinsInSourceOrder), a builtin's paid bytes are its
  // facade's, and go where the facade's own bytes went: its first ES importer (attribute-heap.ts).
  let agentPaid = 0;
  raw.forEach((m, i) => {
    if (m.kind !== 'builtin') return;
    for (const [key, at] of [
      [builtinName(m.key), i],
      [`import:${builtinName(m.key)}`, index.byBuiltinFacade?.get(m.key) ?? i],
    ] as const) {
      const bytes = options.agentPaid?.[key];
      if (!bytes) continue;
      selfBytes[at]! += bytes;
      estimatedBytes[at]! += bytes;
      agentPaid += bytes;
    }
  });
  const baselineBytes = recording.heap.baselineBytes - agentPaid;

  const totalBytes = new Array<number>(raw.length).fill(0);
  for (const i of postOrder(children, parentOf)) totalBytes[i] = selfBytes[i]! + children[i]!.reduce((sum, c) => sum + totalBytes[c]!, 0);

  // ---- the whole import graph: what not loading a module at start-up would save -------------
  const exclusive = sumDominated(dominators, selfBytes);

  // ---- modules ---------------------------------------------------------------------------
  const modules: ReportModule[] = raw.map((m, i) => {
    const parent = parentOf[i]!;
    const pkg = prepared.packages[i]!;
    return {
      id: i,
      path: m.key,
      kind: m.kind,
      package: pkg ? { name: pkg.name, version: pkg.version } : null,
      parent,
      site: prepared.sites[i]!,
      selfBytes: selfBytes[i]!,
      totalBytes: totalBytes[i]!,
      exclusiveBytes: Math.round(exclusive[i]!),
      imports: imports[i]!,
      selfMs: round3(selfMs[i]!),
      totalMs: round3(totalMs[i]!),
      startMs: round3(m.startMs),
      name: prepared.names[i]!,
      thirdParty: m.key.includes('/node_modules/'),
      ok: m.ok,
      estimatedBytes: estimatedBytes[i]!,
      unsampledBytes: unsampledBytes[i]!,
      ...(m.evaluationMs === null ? {} : { evaluationMs: round3(m.evaluationMs) }),
      ...(m.bundle === undefined ? {} : { bundle: indexOfKey.get(m.bundle)! }),
      ...compiledFrom(m.key, facts),
    };
  });

  // ---- totals and buckets: heapBytes = attributed + every bucket, exactly ----------------
  const heapBytes = recording.heap.endBytes;
  const attributedBytes = selfBytes.reduce((a, b) => a + b, 0);
  const sampled = Math.round(heap?.sampledBytes ?? 0);
  const buckets: ReportBucket[] = [
    {
      name: 'baseline',
      bytes: baselineBytes,
      description: `Node's own heap before the program's first line${agentPaid > 0 ? ` (less ${agentPaid} bytes of builtins importcost had loaded that the program then needed: on those builtins)` : ''}`,
    },
    { name: 'agent', bytes: Math.round(heap?.agentBytes ?? 0), description: "importcost's bookkeeping inside the target (not there without it)" },
    { name: 'after-startup', bytes: Math.round(heap?.afterStartupBytes ?? 0), description: 'allocated by program code outside any module load (callbacks, timers)' },
    { name: 'runtime', bytes: Math.round(heap?.runtimeBytes ?? 0), description: 'Node internals with no program frame on the stack' },
    { name: 'esm-loader', bytes: esmLoaderLeft, description: 'ESM loader work with no ESM module to charge it to' },
    {
      name: 'esm-first-use',
      bytes: esmFirstUseBytes,
      description:
        firstEsm >= 0 && options.esmFirstUse !== undefined
          ? `the ESM loader's first use (${options.esmFirstUse} bytes on this Node, measured in a fresh process): whichever ES import came first paid it, and deferring that one would hand it to the next`
          : "the ESM loader's first use: none here (no import loaded an ES module, or it was not measured)",
    },
    { name: 'type-stripping', bytes: Math.round(heap?.typeStrippingBytes ?? 0), description: "Node's type stripping of TypeScript files (its stripper, started on the first one)" },
  ];
  const bucketSum = buckets.reduce((sum, b) => sum + b.bytes, 0);
  const lastReadingAtMs = recording.heap.lastReadingAtMs;
  if (lastReadingAtMs !== undefined) {
    // The process ended before its profile could be read: its last heap reading, unattributed.
    buckets.push({
      name: 'unknown',
      bytes: heapBytes - attributedBytes - bucketSum,
      description: `the process ended (${recording.stop.reason}) before its heap profile was read: its last heap reading, less the baseline, not attributed`,
    });
  } else {
    // What the samples do not explain. heapUsed is exact, the samples estimate; and the samples only see
    // new objects, while baseline objects that die during the run (bytecode flushed by the final GCs,
    // bootstrap temporaries) shrink heapUsed. Measured at -0.6 to -1.7 MB on the fixtures; signed.
    buckets.push({
      name: 'sampling-residual',
      bytes: heapBytes - attributedBytes - bucketSum,
      description: `heap growth less the sampled live allocations (${sampled} bytes): sampling error, and baseline objects freed during the run`,
    });
  }
  const packages = new Set(modules.flatMap((m) => (m.package ? [`${m.package.name}@${m.package.version}`] : [])));
  const stop = recording.stop;
  const report: Report = {
    schema: REPORT_SCHEMA,
    importcost: options.importcost,
    node: recording.node,
    command: options.command,
    cwd: recording.cwd,
    createdAt: new Date(recording.startedAt).toISOString(),
    ...(recording.esmHooks ? { esmHooks: recording.esmHooks } : {}),
    stop: {
      reason: stop.reason,
      exitCode: options.exit ? options.exit.exitCode : stop.exitCode,
      error: stop.error,
      signal: options.exit?.signal ?? null,
    },
    process: options.process ?? defaultProcess(recording),
    totals: {
      heapBytes,
      attributedBytes,
      unattributedBytes: heapBytes - attributedBytes,
      baselineBytes,
      heap: lastReadingAtMs === undefined ? 'end-of-startup' : 'last-reading',
      heapAtMs: round3(lastReadingAtMs ?? stop.atMs),
      wallMs: round3(stop.atMs),
      modules: modules.length,
      packages: packages.size,
    },
    sampling: {
      sampler: recording.sampler,
      intervalBytes: recording.sampleInterval,
      mode: recording.sampling,
      samples: heap?.samples ?? 0,
      sampledBytes: sampled,
      unsampledBytes: unsampledBytes.reduce((a, b) => a + b, 0),
      unsampledMeasuredBytes: Math.round(measuredUnsampled),
      exact: recording.exact,
    },
    buckets,
    modules,
    ...(facts.notes && facts.notes.length > 0 ? { notes: facts.notes } : {}),
    ...bundleSizes(raw, facts, indexOfKey),
  };
  return deepFreeze(report);
}

/**
 * The report with what start-up called of the packages the program imports (the agent's StartupUseRecord,
 * read after the heap part: src/agent/startup-use.cts), by module id; files the report does not hold are
 * left out.
 */
export function withStartupUse(report: Report, records: StartupUseRecord[]): Report {
  const byPath = new Map(report.modules.map((m) => [m.path, m.id]));
  const startupUse: ReportStartupUse[] = records.flatMap((r) => {
    const id = byPath.get(r.file);
    return id === undefined ? [] : [{ module: id, apiFunctions: r.api, called: r.called }];
  });
  return deepFreeze({ ...report, startupUse });
}

/**
 * The report with its place among the command's processes (its role and label; for the main report, the
 * list of them all): a new frozen report sharing everything else.
 */
export function withProcess(report: Report, process: ReportProcess, processes?: ReportProcessSummary[]): Report {
  return deepFreeze({ ...report, process, ...(processes ? { processes } : {}) });
}

/** A recording's process as the report's, where the caller gives none: the command's one main process. */
function defaultProcess(recording: Recording): ReportProcess {
  const own = recording.process;
  return {
    pid: own?.pid ?? recording.pid,
    ppid: own?.ppid ?? 0,
    threadId: own?.threadId ?? 0,
    role: 'main',
    label: 'main',
    argv: own?.argv ?? recording.argv,
    launcher: own?.launcher ?? null,
    parent: null,
    listen: recording.listen ?? null,
  };
}

/**
 * The report with the exit the caller saw (the CLI builds it while the target is still exiting): a new
 * frozen report sharing everything else.
 */
export function withExit(report: Report, exit: { exitCode: number | null; signal: string | null }): Report {
  return deepFreeze({ ...report, stop: { ...report.stop, exitCode: exit.exitCode, signal: exit.signal } });
}

function siteOf(m: RawModule, parent: RawModule | null, facts: FileFacts): ImportSite | null {
  if (!parent || m.specifier === null) return null;
  // Inside a bundle: the line in the original file (there is no compiled file of its own).
  if (m.bundle !== undefined) return m.site ?? null;
  if (parent.bundle !== undefined) {
    // The require in the file that made it, where it has one; else where the loader saw it.
    const own = facts.sourceImports?.[parent.key]?.find((s) => s.specifier === m.specifier);
    const inBundle = own ? { file: parent.key, line: own.line, column: own.column } : facts.sites[`${m.parentKey}\n${m.specifier}`]?.original;
    return inBundle ? { ...inBundle } : null;
  }
  return facts.sites[`${parent.key}\n${m.specifier}`] ?? null;
}

/** A compiled file with a map of one source (tsc, swc): that source. */
function compiledFrom(key: string, facts: FileFacts): { source?: string } {
  const map = facts.sourceMaps?.[key];
  const source = map && !isBundleMap(map) ? map.sources.find((s) => s !== null) : undefined;
  return source ? { source } : {};
}

/**
 * The text of each bundle in the run, by the package (or the app) each part of it came from, as its
 * source map sizes it (characters of compiled code, the way source-map-explorer does).
 */
function bundleSizes(raw: RawModule[], facts: FileFacts, indexOfKey: Map<string, number>): Pick<Report, 'bundles'> {
  const bundles: NonNullable<Report['bundles']> = [];
  for (const [key, map] of Object.entries(facts.sourceMaps ?? {})) {
    const id = indexOfKey.get(key);
    if (id === undefined || !isBundleMap(map)) continue;
    const byPackage = new Map<string, number>();
    map.sources.forEach((source, i) => {
      if (source === null) return;
      const pkg = facts.packages[source] ?? null;
      const name = pkg && source.includes('/node_modules/') ? `${pkg.name}@${pkg.version}` : '(your code)';
      byPackage.set(name, (byPackage.get(name) ?? 0) + map.generatedChars[i]!);
    });
    bundles.push({
      module: id,
      map: map.from,
      sources: map.sources.filter((s) => s !== null).length,
      modules: raw.filter((m) => m.bundle === key).length,
      textChars: map.generatedChars.reduce((a, b) => a + b, 0) + map.unmappedChars,
      byPackage: [...byPackage].map(([name, chars]) => ({ name, chars })).sort((a, b) => b.chars - a.chars),
      unmappedChars: map.unmappedChars,
    });
  }
  return bundles.length > 0 ? { bundles } : {};
}

/**
 * Builtins that an earlier import in source order would have loaded first (index.claimAfter), and each
 * module's place in that order (index.sourceOrder).
 *
 * An ES module's static imports are all linked before any of them runs, and linking loads the builtins
 * the ES modules import. So in `import express from 'express'; import got from 'got'`, got's graph loads
 * node:http2 (and within it node:crypto), and node:http's facade loads undici (and within it node:zlib),
 * before express, a CommonJS package, runs and requires node:crypto and node:zlib itself. A builtin
 * loaded inside another's load belongs to that load, so got had them (Node 26, app.mts: express -16..-23%,
 * got +20..+25%), where the ground truth, which imports express first, charges them to express, as the
 * program's source order reads. Here a builtin's own code claims its bytes back from the load it ran in
 * when its first require came from a CommonJS module that was then running as part of an import earlier
 * in source order than that load's owner: the place where its whole subtree ends comes before the owner's
 * place in a walk of the first-load tree that takes each module's imports in the order of their lines.
 * (A CommonJS program runs its requires in that order, so there nothing is claimed.)
 */
function sourceOrderClaims(raw: readonly RawModule[], parentOf: readonly (number | null)[], index: AttributionIndex, order: Int32Array, last: Int32Array): void {
  const claimAfter = new Map<number, number>();
  raw.forEach((m, i) => {
    const requirer = parentOf[i]!;
    if (m.kind !== 'builtin' || m.cjsId < 0 || requirer === null || raw[requirer]!.cjsId < 0) return;
    // The CommonJS load that was running when the builtin was required: the outermost of the requirer's
    // CommonJS ancestors, where an ES module (or nothing) imported it. The require must fall within it
    // (a require made later, from a function another import called, is not that import's).
    let running = requirer;
    while (parentOf[running] !== null && raw[parentOf[running]!]!.cjsId >= 0) running = parentOf[running]!;
    const outer = raw[running]!;
    if (parentOf[running] === null || m.startMs < outer.startMs || m.startMs > outer.startMs + outer.spanMs) return;
    if (last[running]! >= 0) claimAfter.set(i, last[running]!);
  });
  if (claimAfter.size > 0) {
    index.claimAfter = claimAfter;
    index.sourceOrder = order;
  }
}

/**
 * Each module's place in a walk of the first-load tree that takes each module's imports in the order of
 * their lines (order), and the last place of its subtree (last).
 */
function sourceOrderWalk(
  raw: readonly RawModule[],
  parentOf: readonly (number | null)[],
  children: readonly number[][],
  sites: readonly (ImportSite | null)[],
): { order: Int32Array; last: Int32Array } {
  const order = new Int32Array(raw.length).fill(-1);
  const last = new Int32Array(raw.length).fill(-1);
  const bySite = (a: number, b: number): number => {
    const [x, y] = [sites[a], sites[b]];
    if (x && y && x.file === y.file && (x.line !== y.line || x.column !== y.column)) return x.line - y.line || x.column - y.column;
    return a - b;
  };
  let next = 0;
  for (let root = 0; root < raw.length; root++) {
    if (parentOf[root] !== null) continue;
    // Iterative: the first-load tree can be deeper than the stack (500-deep require chains are tested).
    const stack: [number, number[], number][] = [[root, [...children[root]!].sort(bySite), 0]];
    order[root] = next++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top[2] < top[1].length) {
        const child = top[1][top[2]++]!;
        order[child] = next++;
        stack.push([child, [...children[child]!].sort(bySite), 0]);
      } else {
        last[top[0]] = next - 1;
        stack.pop();
      }
    }
  }
  return { order, last };
}

/**
 * The builtins the program loaded, by name (`stream`), in the order its first loads would come in a run
 * in source order: an ES module program links all its static imports (loading the builtins they import)
 * before any runs, so `import s3 from '@aws-sdk/client-s3'; import got from 'got'` loads got's
 * node:stream/promises before the SDK requires node:stream, while the ground truth, importing the SDK
 * first, loads node:stream first. (A CommonJS program loads them in this order anyway.)
 */
export function builtinsInSourceOrder(prepared: PreparedReport): string[] {
  const { sourceOrder: order, raw, parentOf } = prepared;
  const facades = prepared.index.byBuiltinFacade;
  return raw
    .flatMap((m, i) => {
      if (m.kind !== 'builtin') return [];
      // Where an ES import built its facade before (in source order) the program's first load of it, the
      // facade's import is what a run in source order does first (`import:<name>`; builtin-costs.ts). So
      // where an ES import was its first load: no require ever loaded it, and its import built the facade
      // (node:process's reads process.stdin, which loads the streams the agent had loaded). Replayed as a
      // require, that share went to whichever later builtin loaded the streams in the replay: an ES module
      // that imports node:process first read -23..-39% without its 0.22-0.23 MB, -8..+11% with it, on Node
      // 22, 24 and 26 (7 runs each; test/agent-builtins.test.ts). The kept recordings of the bench (9 ES
      // module apps) read the same on Node 22-26; on Node 20, execa 2.6-3.2 points lower (-22..-25% ->
      // -24..-28%).
      const facade = facades?.get(m.key);
      const facadeFirst = facade !== undefined && order[facade]! < order[i]!;
      const parent = parentOf[i] ?? null;
      const importedFirst = m.cjsId < 0 && parent !== null && raw[parent]!.kind === 'esm';
      const name = facadeFirst || importedFirst ? `import:${builtinName(m.key)}` : builtinName(m.key);
      return [{ m, at: facadeFirst ? order[facade]! : order[i]!, name }];
    })
    .sort((x, y) => x.at - y.at || x.m.startMs - y.m.startMs)
    .map(({ name }) => name);
}

/** A builtin's name as the probes take it and BuildOptions keys it (`node:https` -> `https`). */
const builtinName = (key: string): string => key.replace(/^node:/, '');

/** The builtins an earlier import claims (sourceOrderClaims), by name (`https`), in source order: what BuildOptions.builtinLoads answers for. */
export function claimedBuiltins(prepared: PreparedReport): string[] {
  const { claimAfter, sourceOrder } = prepared.index;
  if (!claimAfter || !sourceOrder) return [];
  return [...claimAfter.keys()].sort((x, y) => sourceOrder[x]! - sourceOrder[y]!).map((i) => builtinName(prepared.raw[i]!.key));
}

/** index, with the Node modules each claiming builtin loads (BuildOptions.builtinLoads) claimed by it too. */
function withClaimedLoads(index: AttributionIndex, raw: readonly RawModule[], loads: Record<string, string[]> | undefined): AttributionIndex {
  if (!index.claimAfter || !loads) return index;
  const claimByUrl = new Map<string, number>();
  for (const i of index.claimAfter.keys()) {
    for (const name of loads[builtinName(raw[i]!.key)] ?? []) {
      // (Each module is in the list of the first builtin in source order that loads it: a claiming
      // builtin found in an earlier one's list is that one's, as node:http is node:http2's.)
      const url = `node:${name}`;
      if (!claimByUrl.has(url)) claimByUrl.set(url, i);
    }
  }
  return { ...index, claimByUrl };
}

/** First-load parents form a tree by construction; guard anyway, so a bad recording cannot loop. */
function breakCycles(parentOf: (number | null)[]): void {
  for (let i = 0; i < parentOf.length; i++) {
    const seen = new Set<number>([i]);
    let p = parentOf[i]!;
    while (p !== null) {
      if (seen.has(p)) {
        parentOf[i] = null;
        break;
      }
      seen.add(p);
      p = parentOf[p]!;
    }
  }
}

function postOrder(children: number[][], parentOf: (number | null)[]): number[] {
  const order: number[] = [];
  const stack: [number, boolean][] = [];
  parentOf.forEach((p, i) => {
    if (p === null) stack.push([i, false]);
  });
  while (stack.length > 0) {
    const [i, expanded] = stack.pop()!;
    if (expanded) {
      order.push(i);
      continue;
    }
    stack.push([i, true]);
    for (const c of children[i]!) stack.push([c, false]);
  }
  return order;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    // Only objects need a visit (a module's fields are mostly numbers and strings), and no array of
    // values is made for each one: freezing the bench's 2,187-module report took a third of finishReport.
    if (Array.isArray(value)) {
      for (const child of value) if (child !== null && typeof child === 'object') deepFreeze(child);
    } else {
      for (const key in value) {
        const child = value[key];
        if (child !== null && typeof child === 'object') deepFreeze(child);
      }
    }
  }
  return value;
}
