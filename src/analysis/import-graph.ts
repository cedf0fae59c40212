/**
 * The whole import graph (every edge, not only who loaded a module first) and what leaves start-up if a
 * module or a package is not loaded then. Pure.
 *
 * A module's inclusive bytes (totalBytes) sum the modules it loaded *first*; some of those are imported
 * from elsewhere too and would load anyway. What deferring it actually saves is the bytes of the modules
 * that every import path from the entry reaches through it: the modules it dominates in the graph.
 */
import type { RecordingModules } from '../recording/format.js';
import type { RawModule } from './list-modules.js';

/**
 * Out-edges by module index (`indexOf`: module key -> index), sorted and without duplicates: the first-load tree, the ESM import edges,
 * and the CommonJS and builtin edges the agent read at the end (recording.imports).
 */
export function importEdges(
  raw: readonly RawModule[],
  indexOf: ReadonlyMap<string, number>,
  parentOf: readonly (number | null)[],
  recording: RecordingModules,
): number[][] {
  const out = raw.map(() => new Set<number>());
  const add = (from: number | undefined, to: number | undefined): void => {
    if (from !== undefined && to !== undefined && from !== to) out[from]!.add(to);
  };
  parentOf.forEach((p, i) => {
    if (p !== null) add(p, i);
  });
  raw.forEach((m, i) => {
    for (const key of m.imports) add(i, indexOf.get(key));
  });
  // Rows name files by CJS load id where the agent had one, else by path.
  const cjsPaths: string[] = [];
  for (const [id, path] of recording.cjs) cjsPaths[id] = path;
  const find = (ref: string | number | undefined): number | undefined =>
    ref === undefined ? undefined : indexOf.get(typeof ref === 'number' ? (cjsPaths[ref] ?? '') : ref);
  for (const [importer, ...imported] of recording.imports?.cjs ?? []) {
    const from = find(importer);
    for (const ref of imported) add(from, find(ref));
  }
  for (const [importer, builtin] of recording.imports?.builtins ?? []) add(find(importer), find(builtin));
  return out.map((set) => [...set].sort((a, b) => a - b));
}

/** Each module's immediate dominator and the order to sum them in (see dominatorTree). */
export interface DominatorTree {
  /** Reverse postorder from the virtual root (index n, first). */
  order: number[];
  /** Position in `order`, or -1 for a module no root reaches. */
  rank: Int32Array;
  /** Immediate dominator; n is the virtual root. */
  idom: Int32Array;
}

/**
 * The dominator tree of the import graph, from a virtual root above `roots` (the modules nothing
 * imported: the entry, preloads): Cooper, Harvey and
 * Kennedy's iterative algorithm ("A Simple, Fast Dominance Algorithm", 2001). It needs the graph only,
 * so the CLI works it out before the heap profile is in.
 */
export function dominatorTree(out: readonly number[][], roots: readonly number[]): DominatorTree {
  const n = out.length;
  const root = n;
  const succ = (v: number): readonly number[] => (v === root ? roots : out[v]!);
  // Reverse postorder from the virtual root (iterative DFS).
  const order: number[] = [];
  const seen = new Uint8Array(n + 1);
  const stack: [number, number][] = [[root, 0]];
  seen[root] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const next = succ(top[0]);
    if (top[1] < next.length) {
      const w = next[top[1]++]!;
      if (!seen[w]) {
        seen[w] = 1;
        stack.push([w, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  order.reverse();
  const rank = new Int32Array(n + 1).fill(-1);
  order.forEach((v, i) => (rank[v] = i));
  const preds: number[][] = Array.from({ length: n + 1 }, () => []);
  for (const v of order) for (const w of succ(v)) preds[w]!.push(v);
  const idom = new Int32Array(n + 1).fill(-1);
  idom[root] = root;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rank[a]! > rank[b]!) a = idom[a]!;
      while (rank[b]! > rank[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of order) {
      if (v === root) continue;
      let next = -1;
      for (const p of preds[v]!) {
        if (idom[p] === -1) continue;
        next = next === -1 ? p : intersect(p, next);
      }
      if (next !== -1 && idom[v] !== next) {
        idom[v] = next;
        changed = true;
      }
    }
  }
  return { order, rank, idom };
}

/** Per module: the sum of `selfBytes` over the modules it dominates, itself included. */
export function sumDominated({ order, rank, idom }: DominatorTree, selfBytes: readonly number[]): number[] {
  const n = selfBytes.length;
  // Deepest first (reverse of the reverse postorder).
  const sums = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) sums[i] = selfBytes[i]!;
  for (let i = order.length - 1; i > 0; i--) {
    const v = order[i]!;
    const d = idom[v]!;
    if (d >= 0 && d !== v) sums[d] = sums[d]! + sums[v]!;
  }
  return Array.from(sums.subarray(0, n), (bytes, v) => (rank[v] === -1 ? selfBytes[v]! : bytes));
}

/** The modules still reached from `roots` when the modules in `avoid` are never loaded. */
export function reachableAvoiding(out: readonly (readonly number[])[], roots: readonly number[], avoid: ReadonlySet<number>): Uint8Array {
  const reached = new Uint8Array(out.length);
  const stack = roots.filter((r) => !avoid.has(r));
  for (const r of stack) reached[r] = 1;
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const w of out[v]!) {
      if (reached[w] || avoid.has(w)) continue;
      reached[w] = 1;
      stack.push(w);
    }
  }
  return reached;
}
