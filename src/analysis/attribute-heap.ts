/**
 * Charge every sampled, still-alive allocation to the module load that made it. Pure.
 *
 * The innermost frame on a sample's stack that names a load decides:
 * - a trampoline frame `importcost-load:<id>` (one per first CommonJS/builtin/JSON/addon load);
 * - an ESM module's top-level frame (its file:// url, empty name, line 0, column 0). Importers are not on
 *   the stack when an ESM body runs, so the chain comes from the import graph instead;
 * - the agent's own frames (its bookkeeping), which form the `agent` bucket.
 * In a stack no load owns, the innermost frame of a builtin the program imported (`node:tls`) claims it:
 * ESM imports of builtins compile and evaluate them inside the loader, with no user frame.
 * Samples with none of these are Node's ESM loader (source decoding and compiling: shared out among ESM
 * modules by source size in build-report.ts), program code outside any load, or runtime internals.
 */
import type { V8CallFrame, V8SamplingNode } from '../recording/format.js';

export interface AttributionIndex {
  trampolinePrefix: string;
  /** CJS load id -> module index. */
  byCjsId: Map<number, number>;
  /** ESM module url -> module index. */
  byEsmUrl: Map<string, number>;
  /** `node:<name>` -> module index, for builtins in the report. */
  byBuiltin: Map<string, number>;
  /** Frames whose url starts with one of these are the agent's. */
  agentPrefixes: string[];
}

/**
 * The agent's wrappers around Node's loader: what runs inside them (resolving, creating the Module,
 * reading the source) is the program's own cost, so these frames name no owner. Every other agent
 * frame is bookkeeping (load records, trampolines) and forms the `agent` bucket.
 */
const AGENT_PASS_THROUGH = new Set(['importcostLoad', 'importcostModuleLoad', 'resolve', 'load']);

/**
 * What the ESM loader spent, by what it was doing (read off the loader's own function names), so each
 * part can be shared out by what it grows with (build-report.ts):
 * - source: decoding and compiling ESM sources (moduleStrategy): by source size, among ESM modules;
 * - builtin: ESM facades of builtins (builtinStrategy): evenly, among builtins imported from ESM;
 * - cjs: export-name parsing and facades of CommonJS imported from ESM (commonjsStrategy): by source size;
 * - other: per-module bookkeeping (jobs, linking, instantiation): evenly, among ESM modules.
 */
export interface LoaderPools {
  source: number;
  builtin: number;
  cjs: number;
  other: number;
}

export interface HeapAttribution {
  /** Sampled bytes by module index (stack-attributed only). */
  moduleBytes: Float64Array;
  agentBytes: number;
  loader: LoaderPools;
  afterStartupBytes: number;
  runtimeBytes: number;
  /** Sum of every node's selfSize: V8's estimate of the live bytes allocated since sampling began. */
  sampledBytes: number;
  samples: number;
}

/** 'readout': allocated while the agent read the profile, after the heap was measured: counted nowhere. */
type Owner = number | 'agent' | 'readout' | null;

/** Node's ESM loader and the code it runs to fetch, decode and compile sources. */
const LOADER_URL = /^node:internal\/(modules\/|vm\/module|vm$|encoding|process\/esm_loader)/;
/** The main-thread side of off-thread module hooks: there only because the agent registered hooks. */
const HOOKS_PROXY_URL = 'node:internal/modules/esm/hooks';
const LOADER_POOL_BY_FUNCTION: Record<string, keyof LoaderPools> = {
  moduleStrategy: 'source',
  builtinStrategy: 'builtin',
  commonjsStrategy: 'cjs',
};

type LoaderState = keyof LoaderPools | null;

function identify(frame: V8CallFrame, index: AttributionIndex): Owner | undefined {
  const url = frame.url;
  if (url === '') return undefined;
  if (url.startsWith(index.trampolinePrefix)) {
    const owner = index.byCjsId.get(Number(url.slice(index.trampolinePrefix.length)));
    return owner ?? undefined;
  }
  if (frame.functionName === '' && frame.lineNumber === 0 && frame.columnNumber === 0) {
    const owner = index.byEsmUrl.get(url);
    if (owner !== undefined) return owner;
  }
  for (const prefix of index.agentPrefixes) {
    if (!url.startsWith(prefix)) continue;
    // V8 builds the profile while still sampling, so reading it (0.5 MB measured) shows up in it.
    if (frame.functionName === 'finish') return 'readout';
    return AGENT_PASS_THROUGH.has(frame.functionName) ? undefined : 'agent';
  }
  return undefined;
}

export function attributeHeap(
  head: V8SamplingNode,
  moduleCount: number,
  index: AttributionIndex,
  samples: number,
): HeapAttribution {
  const result: HeapAttribution = {
    moduleBytes: new Float64Array(moduleCount),
    agentBytes: 0,
    loader: { source: 0, builtin: 0, cjs: 0, other: 0 },
    afterStartupBytes: 0,
    runtimeBytes: 0,
    sampledBytes: 0,
    samples,
  };
  // Iterative walk: stacks can be deep, and a profile can have hundreds of thousands of nodes.
  const stack: { node: V8SamplingNode; owner: Owner; loader: LoaderState; user: boolean }[] = [
    { node: head, owner: null, loader: null, user: false },
  ];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const frame = item.node.callFrame;
    const found = item.owner === 'readout' ? undefined : identify(frame, index);
    let owner = found === undefined ? item.owner : found;
    if (owner === null) owner = index.byBuiltin.get(frame.url) ?? null;
    if (owner === null && frame.url === HOOKS_PROXY_URL) owner = 'agent';
    let loader = item.loader;
    // Decoding source text is source whichever loader path does it (Node 22+'s in-thread hooks decode in
    // loadWithHooks, outside moduleStrategy: 0.83 MB measured on got + execa).
    if (frame.url === 'node:internal/encoding') loader = 'source';
    else if (LOADER_URL.test(frame.url)) loader = LOADER_POOL_BY_FUNCTION[frame.functionName] ?? loader ?? 'other';
    const user = item.user || (frame.url !== '' && !frame.url.startsWith('node:'));
    const bytes = item.node.selfSize;
    if (bytes > 0 && owner !== 'readout') {
      result.sampledBytes += bytes;
      if (typeof owner === 'number') result.moduleBytes[owner]! += bytes;
      else if (owner === 'agent') result.agentBytes += bytes;
      else if (loader) result.loader[loader] += bytes;
      else if (user) result.afterStartupBytes += bytes;
      else result.runtimeBytes += bytes;
    }
    for (const child of item.node.children) stack.push({ node: child, owner, loader, user });
  }
  return result;
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
