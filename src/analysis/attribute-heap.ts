/**
 * Charge every sampled, still-alive allocation to the module load that made it. Pure.
 *
 * The innermost frame on a sample's stack that names a load decides:
 * - a trampoline frame (one per first CommonJS/builtin/JSON/addon load): `importcost-load:<batch>` at
 *   line `id % batch size`, or `importcost-load:<id>` in recordings from before trampolines were batched;
 * - a hook trampoline (Node 22+'s in-thread ESM hooks: an import request's first resolve, an ES module's
 *   first load): `importcost-hook:<batch>` at line `id % batch size`;
 * - an ESM module's top-level frame (its file:// url, empty name, line 0, column 0). Importers are not on
 *   the stack when an ESM body runs, so the chain comes from the import graph instead;
 * - the agent's own frames (its bookkeeping), which form the `agent` bucket.
 * In a stack no load owns, the innermost frame of a builtin the program imported (`node:tls`) claims it:
 * ESM imports of builtins compile and evaluate them inside the loader, with no user frame.
 * Samples with none of these are Node's ESM loader (source decoding and compiling: shared out among ESM
 * modules by source size in build-report.ts), program code outside any load, or runtime internals.
 * Inside a bundle with a source map, the frames of the files bundled in it name those files (bundles.ts).
 */
import { FLAT_NODE_FIELDS, type FlatSamplingProfile, type V8SamplingProfile } from '../recording/format.js';
import { FRAME_CODE, FRAME_INIT, FRAME_RUNTIME, type BundleFrameTable } from './bundles.js';
import { nodeBytes, type Sampling } from './sample-weights.js';

export interface AttributionIndex {
  trampolinePrefix: string;
  /** Trampolines per script (Recording.trampolineBatch), or 0: one script per load. */
  trampolineBatch: number;
  /** CJS load id -> module index. */
  byCjsId: Map<number, number>;
  /** Prefix of the in-thread ESM hooks' trampolines (Recording.hookTrampolinePrefix), or null. */
  hookPrefix: string | null;
  /** Hook trampoline id -> the module its work is charged to (build-report.ts). */
  byHook: Map<number, number>;
  /** ESM module url -> module index. */
  byEsmUrl: Map<string, number>;
  /** `node:<name>` -> module index, for builtins in the report. */
  byBuiltin: Map<string, number>;
  /**
   * `node:<name>` -> the ES module whose import first made that builtin's ESM facade, where the builtin
   * itself was first loaded by a require (the facade is built later, for that import). Optional: older
   * callers pass none.
   */
  byBuiltinFacade?: Map<string, number>;
  /** Frames whose url starts with one of these are the agent's. */
  agentPrefixes: string[];
  /**
   * Builtin module -> a place in source order (build-report.ts, sourceOrderClaims): the builtin's own code,
   * run inside the load of a module placed after it, is the builtin's. With sourceOrder, each module's
   * place. Optional: absent where nothing can be claimed.
   */
  claimAfter?: Map<number, number>;
  sourceOrder?: Int32Array;
  /** `node:<module>` -> the claiming builtin (a key of claimAfter) whose first load loads it (build-report.ts, withClaimedLoads). */
  claimByUrl?: Map<string, number>;
}

/**
 * The agent's wrappers around Node's loader: what runs inside them (resolving, creating the Module,
 * reading the source) is the program's own cost, so these frames name no owner; so is the source that
 * --esm-evaluation's mark (evaluationMark) hands back to the loader. Every other agent frame is
 * bookkeeping (load records, trampolines) and forms the `agent` bucket. (The CommonJS wrappers are
 * anonymous functions of a script of their own now, `importcost-wrap`, which names nothing; their old
 * names stay here for recordings made before.)
 */
const AGENT_PASS_THROUGH = new Set(['importcostLoad', 'importcostModuleLoad', 'resolve', 'load', 'evaluationMark']);

/**
 * What the ESM loader spent, by what it was doing (read off the loader's own function names), so each
 * part can be shared out by what it grows with (build-report.ts):
 * - decode: decoding source text (node:internal/encoding, whichever loader path runs it): each ESM module,
 *   and each CommonJS one an ES module imported whose source the loader handed over, gets its source's size
 *   as a V8 string (two bytes a character where any is beyond Latin-1; none where Node made it external),
 *   where the pool holds at least half of their sum; else the pool is shared by those sizes;
 * - source: compiling ESM sources, and the rest of moduleStrategy: by source length in characters, among ESM modules;
 * - builtin: ESM facades of builtins (builtinStrategy): evenly, among builtins imported from ESM;
 * - cjs: export-name parsing and facades of CommonJS imported from ESM (commonjsStrategy, and the facade's
 *   evaluation, which sets each export name): by source length;
 * - other: per-module bookkeeping (jobs, linking, instantiation): evenly, among ESM modules.
 */
export interface LoaderPools {
  decode: number;
  source: number;
  builtin: number;
  cjs: number;
  other: number;
}

export interface HeapAttribution {
  /** Sampled bytes by module index (stack-attributed only). */
  moduleBytes: Float64Array;
  /** The part of moduleBytes shared out by weight rather than named by a stack (wrappers compiled inside a bundle's runtime). */
  sharedBytes: Float64Array;
  agentBytes: number;
  loader: LoaderPools;
  afterStartupBytes: number;
  runtimeBytes: number;
  /** Node's type stripping of TypeScript sources (its stripper's start and each file's transform). */
  typeStrippingBytes: number;
  /** The live samples' bytes (sample-weights.ts): the live bytes allocated since sampling began. */
  sampledBytes: number;
  samples: number;
}

/**
 * 'readout': allocated while the agent read the profile, after the heap was measured: counted nowhere.
 * 'types': Node stripping TypeScript types (its own bucket, whichever load it ran in).
 */
type Owner = number | 'agent' | 'readout' | 'types' | null;

/** Node's ESM loader and the code it runs to fetch, decode and compile sources. */
const LOADER_URL = /^node:internal\/(modules\/|vm\/module|vm$|encoding|process\/esm_loader)/;
/** The main-thread side of off-thread module hooks: there only because the agent registered hooks. */
const HOOKS_PROXY_URL = 'node:internal/modules/esm/hooks';
/**
 * Node 22.18+/23.6+ stripping types from a .ts/.mts/.cts file: its stripper (amaro, a WebAssembly build of
 * swc) starts on the first such file and keeps 3.8-4.1 MB (measured on Node 24 and 26 with a .mts entry).
 * A program written in JavaScript would not pay it, and which load is first to pay it says nothing about
 * that load, so it is a bucket of its own: before, the loader's pools shared it among the ES modules by
 * source size and got read +57% on the test's .mts app.
 */
const TYPE_STRIPPING_URL = /^node:internal\/(modules\/typescript$|deps\/amaro\/)/;
/**
 * Where a CommonJS module's ESM facade is evaluated: the anonymous evaluation callback its translator gives
 * the ModuleWrap (named evaluationCallback where the module has no source), which loads the module, then
 * sets each of its export names on the facade. The setting is the cjs pool's, with the export names' parse:
 * typescript imported from an .mts entry has thousands, and their 0.48 MB went to the 'other' pool, shared
 * evenly among ES modules (zod's 95 took it all; typescript read -13%, zod +27% on Node 26).
 */
const TRANSLATORS_URL = 'node:internal/modules/esm/translators';
const LOADER_POOL_BY_FUNCTION: Record<string, keyof LoaderPools> = {
  moduleStrategy: 'source',
  builtinStrategy: 'builtin',
  commonjsStrategy: 'cjs',
};

type LoaderState = keyof LoaderPools | null;

/** The module whose CommonJS or builtin load a frame is (its trampoline, at 0-based `line`), if any. */
export function loadAt(url: string, line: number, index: AttributionIndex): number | undefined {
  if (!url.startsWith(index.trampolinePrefix)) return undefined;
  const script = Number(url.slice(index.trampolinePrefix.length));
  return index.byCjsId.get(index.trampolineBatch > 0 ? script * index.trampolineBatch + line : script);
}

function identify(url: string, functionName: string, line: number, column: number, index: AttributionIndex): Owner | undefined {
  if (url === '') return undefined;
  if (url.startsWith(index.trampolinePrefix)) return loadAt(url, line, index);
  if (index.hookPrefix !== null && url.startsWith(index.hookPrefix)) {
    return index.byHook.get(Number(url.slice(index.hookPrefix.length)) * index.trampolineBatch + line);
  }
  if (functionName === '' && line === 0 && column === 0) {
    const owner = index.byEsmUrl.get(url);
    if (owner !== undefined) return owner;
  }
  for (const prefix of index.agentPrefixes) {
    if (!url.startsWith(prefix)) continue;
    // V8 builds the profile while still sampling, so reading it (0.5 MB measured) shows up in it.
    if (functionName === 'finish') return 'readout';
    return AGENT_PASS_THROUGH.has(functionName) ? undefined : 'agent';
  }
  return undefined;
}

/** A profile as a tree (older recordings) in the flat form the agent writes now. */
export function flatProfile(profile: FlatSamplingProfile | V8SamplingProfile): FlatSamplingProfile {
  if ('format' in profile) return profile;
  const flat: FlatSamplingProfile = { format: 'flat', urls: [], names: [], nodes: [], samples: profile.samples.length, sizes: [] };
  const indexById = new Map<number, number>();
  const urlIndex = new Map<string, number>();
  const nameIndex = new Map<string, number>();
  const indexOf = (table: string[], index: Map<string, number>, key: string): number => {
    if (!index.has(key)) index.set(key, table.push(key) - 1);
    return index.get(key)!;
  };
  const pending: [V8SamplingProfile['head'], number][] = [[profile.head, -1]];
  while (pending.length > 0) {
    const [node, parent] = pending.pop()!;
    const at = flat.nodes.length / FLAT_NODE_FIELDS;
    indexById.set(node.id, at);
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    flat.nodes.push(parent, indexOf(flat.urls, urlIndex, url), indexOf(flat.names, nameIndex, functionName), lineNumber, columnNumber, node.selfSize);
    for (const child of node.children) pending.push([child, at]);
  }
  for (const sample of [...profile.samples].sort((a, b) => a.ordinal - b.ordinal)) flat.sizes!.push(indexById.get(sample.nodeId) ?? -1, sample.size);
  flat.ordered = true;
  return flat;
}

/** Where node:process's getters live (its facade reads them). */
const PROCESS_GETTERS = /^node:internal\/(bootstrap\/switches\/|process\/)/;
/** Facade states per node in attributeHeap (else the module that pays for the facade being built). */
const UNKNOWN = -1;
const NONE = -2;
const OUTSIDE = -3;

/** Owner codes per node in attributeHeap: a module index (>= 0), or one of these. */
const NO_OWNER = -1;
const AGENT = -2;
const READOUT = -3;
const TYPES = -4;
const LOADER_STATES: LoaderState[] = [null, 'source', 'builtin', 'cjs', 'other', 'decode'];

export function attributeHeap(
  profile: FlatSamplingProfile | V8SamplingProfile,
  moduleCount: number,
  index: AttributionIndex,
  sampling: Sampling,
  bundles: BundleFrameTable | null = null,
): HeapAttribution {
  const flat = flatProfile(profile);
  const { urls, names, nodes, samples } = flat;
  const weights = nodeBytes(flat, sampling.interval, sampling.mode);
  const result: HeapAttribution = {
    moduleBytes: new Float64Array(moduleCount),
    sharedBytes: new Float64Array(moduleCount),
    agentBytes: 0,
    loader: { decode: 0, source: 0, builtin: 0, cjs: 0, other: 0 },
    afterStartupBytes: 0,
    runtimeBytes: 0,
    typeStrippingBytes: 0,
    sampledBytes: 0,
    samples,
  };
  // What each node passes on to its children (every parent comes before its children).
  const count = nodes.length / FLAT_NODE_FIELDS;
  const owners = new Int32Array(count);
  const loaders = new Uint8Array(count);
  const users = new Uint8Array(count);
  /** 1 where the owner is a builtin named by one of its functions (not its top-level code) on the way. */
  const viaCall = new Uint8Array(count);
  /**
   * Under Node building a builtin's ESM facade (BuiltinModule's getESMFacade): the module that pays for
   * it (see below), or UNKNOWN until a frame says, or NONE; OUTSIDE elsewhere.
   */
  const facades = new Int32Array(count);
  const processFacade = index.byBuiltinFacade?.get('node:process') ?? index.byBuiltin.get('node:process') ?? null;
  /** 1 where the owner is a bundled file named by one of its functions, not its wrapper (bundles.ts). */
  const byCode = new Uint8Array(count);
  // What depends on the url alone, once per url (a profile has ~20x more nodes than urls).
  const byUrl = urls.map((url) => {
    const builtin = index.byBuiltin.get(url) ?? null;
    return {
      // Only these urls can name an owner (identify() is undefined for every other).
      named:
        url.startsWith(index.trampolinePrefix) ||
        (index.hookPrefix !== null && url.startsWith(index.hookPrefix)) ||
        index.byEsmUrl.has(url) ||
        index.agentPrefixes.some((p) => url.startsWith(p)),
      builtin,
      facade: index.byBuiltinFacade?.get(url) ?? null,
      // The claiming builtin whose load this Node module's top-level code is part of (sourceOrderClaims):
      // the first in source order that loads it, else the builtin itself where it claims.
      claim: index.claimByUrl?.get(url) ?? (builtin !== null && index.claimAfter?.has(builtin) ? builtin : null),
      types: TYPE_STRIPPING_URL.test(url),
      dynamicImport: url === 'node:internal/modules/esm/utils',
      loader: url === 'node:internal/encoding' ? ('decode' as const) : LOADER_URL.test(url) ? ('pool' as const) : null,
      translator: url === TRANSLATORS_URL,
      user: url !== '' && !url.startsWith('node:'),
    };
  });
  for (let i = 0; i < count; i++) {
    const at = i * FLAT_NODE_FIELDS;
    // A parent after its child (a malformed recording) would pass on nothing worked out yet: a root then.
    const parent = nodes[at]! < i ? nodes[at]! : -1;
    const url = urls[nodes[at + 1]!]!;
    const facts = byUrl[nodes[at + 1]!]!;
    const functionName = names[nodes[at + 2]!]!;
    /** A script's top-level code (a builtin's or an internal's body, as its loader runs it). */
    const topLevel = functionName === '' && nodes[at + 3] === 0 && nodes[at + 4] === 0;
    const inherited: Owner = parent < 0 ? null : ownerOf(owners[parent]!);
    const found = inherited === 'readout' || !facts.named ? undefined : identify(url, functionName, nodes[at + 3]!, nodes[at + 4]!, index);
    let owner = facts.types && inherited !== 'readout' ? 'types' : found === undefined ? inherited : found;
    const frame = bundles === null ? 0 : bundles.kind[i]!;
    if (frame !== 0 && typeof owner === 'number') {
      // A bundled file's wrapper names it; its other functions only where no wrapper is on the stack
      // (hoisted code), the innermost one deciding. Only under the bundle's own load.
      const outerByCode = parent >= 0 && byCode[parent] === 1;
      if (frame === FRAME_INIT || (frame === FRAME_CODE && (outerByCode || bundles!.bundleModules.has(owner)))) {
        byCode[i] = frame === FRAME_CODE ? 1 : 0;
        owner = bundles!.module[i]!;
      } else byCode[i] = parent >= 0 ? byCode[parent]! : 0;
    } else byCode[i] = found === undefined && parent >= 0 ? byCode[parent]! : 0;
    let call = found === undefined && parent >= 0 && viaCall[parent] === 1;
    // A dynamic import() is the loader's work from here on, not its caller's: Node 24+ links and
    // compiles the imported graph synchronously inside import(), under the caller's frame, which then
    // claimed all of it (an entry that awaits import('got') then import('execa'), Node 26: the entry
    // 4.7 MB, got 1.1 MB against a ground truth of 5.1 MB). Below this frame, as under a static import,
    // the hook trampolines and the modules' own frames name their modules, and the rest is pooled.
    if (facts.dynamicImport && functionName === 'importModuleDynamicallyCallback' && owner !== 'agent' && owner !== 'readout') {
      owner = null;
      call = false;
    }
    let loader = parent < 0 ? null : LOADER_STATES[loaders[parent]!]!;
    const inheritedFacade = parent >= 0 ? facades[parent]! : OUTSIDE;
    const facade = inheritedFacade !== OUTSIDE || (functionName === 'getESMFacade' && url === 'node:internal/bootstrap/realm');
    // Decoding source text is the decode pool whichever loader path does it (Node 22+'s in-thread hooks
    // decode in loadWithHooks, outside moduleStrategy: 0.83 MB measured on got + execa), an ES module's
    // source or a CommonJS one's that an ES module imported.
    if (facts.loader === 'decode') loader = 'decode';
    else if (facts.loader === 'pool') loader = LOADER_POOL_BY_FUNCTION[functionName] ?? (facts.translator && !topLevel && (functionName === '' || functionName === 'evaluationCallback') ? 'cjs' : (loader ?? 'other'));
    // A builtin's function that Node's loader runs its work inside names no owner for that work: Node 24
    // wraps every import in node:diagnostics_channel's tracePromise, which claimed 5 MB of got's and
    // execa's compiling (execa read -61%, got +17%). Its top-level code, and functions it runs nested in
    // the loader's work (the getters an ESM facade reads, node:tls's root certificates), still claim.
    if (call && facts.loader !== null) {
      owner = null;
      call = false;
    }
    // Which builtin's facade this is: the first frame under getESMFacade outside Node's realm code and
    // V8's (the getter it reads). node:process's getters live in Node's bootstrap and process code, not
    // in node:process: its facade reads process.stdin, which loads node:fs's streams and readline (0.13
    // MB), and the innermost builtin frame, node:fs, gave them to node:fs's first ES importer (execa, 9
    // samples, where got had imported node:process first).
    let facadeOf = inheritedFacade !== OUTSIDE ? inheritedFacade : facade ? UNKNOWN : OUTSIDE;
    if (facadeOf === UNKNOWN && url !== '' && url !== 'node:internal/bootstrap/realm') {
      facadeOf = facts.builtin !== null ? (facts.facade ?? facts.builtin) : PROCESS_GETTERS.test(url) ? (processFacade ?? NONE) : NONE;
    }
    if (owner === null && facadeOf >= 0) owner = facadeOf;
    if (owner === null && facts.builtin !== null) {
      // Building a builtin's ESM facade reads every export, lazy getters included (node:http's loads
      // undici: 1.2 MB on Node 26). Where a require loaded the builtin first, the facade is the cost of
      // the first ES import of it, as the ground truth counts it: express required node:http, then got
      // imported it, and express read +80% with the facade.
      owner = facade && facts.facade !== null ? facts.facade : facts.builtin;
      call = !topLevel;
    }
    // A builtin's own code, or a Node module its first load loads, inside another module's load, where an
    // import earlier in source order required the builtin (build-report.ts, sourceOrderClaims): the
    // builtin's, as a run in source order would have loaded it.
    if (facts.claim !== null && topLevel && typeof owner === 'number' && owner !== facts.claim && index.sourceOrder![owner]! > index.claimAfter!.get(facts.claim)!) {
      owner = facts.claim;
      call = false;
    }
    if (owner === null && url === HOOKS_PROXY_URL) owner = 'agent';
    const user = (parent >= 0 && users[parent] === 1) || facts.user;
    owners[i] = owner === null ? NO_OWNER : owner === 'agent' ? AGENT : owner === 'readout' ? READOUT : owner === 'types' ? TYPES : owner;
    loaders[i] = LOADER_STATES.indexOf(loader);
    users[i] = user ? 1 : 0;
    viaCall[i] = call ? 1 : 0;
    facades[i] = facadeOf;
    const bytes = weights[i]!;
    if (bytes > 0 && owner !== 'readout') {
      result.sampledBytes += bytes;
      const split = typeof owner === 'number' && bundles !== null && bundles.kind[i] === FRAME_RUNTIME ? bundles.split.get(i) : undefined;
      if (split) {
        // A bundler's require compiling the wrappers it called (bundles.ts): what was measured for each
        // is its; the rest is shared by their compiled size.
        const measured = split.reduce((sum, call) => sum + call.measured, 0);
        const scale = measured > bytes ? bytes / measured : 1;
        const rest = bytes - measured * scale;
        const total = split.reduce((sum, call) => sum + call.weight, 0);
        for (const call of split) {
          const shared = (rest * call.weight) / total;
          result.moduleBytes[call.module]! += call.measured * scale + shared;
          result.sharedBytes[call.module]! += shared;
        }
      } else if (typeof owner === 'number') result.moduleBytes[owner]! += bytes;
      else if (owner === 'agent') result.agentBytes += bytes;
      else if (owner === 'types') result.typeStrippingBytes += bytes;
      else if (loader) result.loader[loader] += bytes;
      else if (user) result.afterStartupBytes += bytes;
      else result.runtimeBytes += bytes;
    }
  }
  return result;
}

function ownerOf(code: number): Owner {
  return code >= 0 ? code : code === AGENT ? 'agent' : code === READOUT ? 'readout' : code === TYPES ? 'types' : null;
}

/**
 * Share `bytes` among modules in proportion to their weights (source bytes), in whole bytes that sum
 * exactly to `bytes` (largest remainder). Returns an empty map when no weight is positive.
 */
export function shareByWeight(bytes: number, weights: Map<number, number>): Map<number, number> {
  const total = [...weights.values()].reduce((sum, w) => sum + Math.max(0, w), 0);
  const shares = new Map<number, number>();
  if (total <= 0 || bytes <= 0) return shares;
  const whole = Math.round(bytes);
  const parts = [...weights].map(([id, w]) => {
    const exact = (whole * Math.max(0, w)) / total;
    return { id, floor: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = whole - parts.reduce((sum, p) => sum + p.floor, 0);
  parts.sort((a, b) => b.rest - a.rest);
  for (const part of parts) {
    shares.set(part.id, part.floor + (left > 0 ? 1 : 0));
    if (left > 0) left--;
  }
  return shares;
}
