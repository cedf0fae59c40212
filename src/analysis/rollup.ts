/**
 * Views over the frozen report that every reporter and the viewer share. Pure.
 */
import type { Report, ReportModule } from '../report/format.js';
import { reachableAvoiding } from './import-graph.js';

/** Module ids from the root down to `id`. */
export function chainOf(report: Report, id: number): number[] {
  const chain: number[] = [];
  for (let at: number | null = id; at !== null && chain.length <= report.modules.length; at = report.modules[at]!.parent) {
    chain.push(at);
  }
  return chain.reverse();
}

export interface PackageRow {
  /** `name@version` */
  id: string;
  name: string;
  version: string;
  /** Retained bytes allocated by the package's own files. */
  selfBytes: number;
  /** Retained bytes of everything the package's entry points loaded first (some may be imported elsewhere too). */
  totalBytes: number;
  selfMs: number;
  totalMs: number;
  modules: number;
  /** The first module of the package loaded (its chain and site are how the package came in). */
  firstModule: number;
  /** deferralSavings(report, row), where a caller filled it in (the viewer does). */
  deferBytes?: number;
}

const packageId = (m: ReportModule): string | null => (m.package ? `${m.package.name}@${m.package.version}` : null);

/** Third-party packages, heaviest first (by totalBytes). */
export function summarizePackages(report: Report): PackageRow[] {
  const rows = new Map<string, PackageRow>();
  for (const m of report.modules) {
    const id = packageId(m);
    if (id === null || !m.thirdParty) continue;
    let row = rows.get(id);
    if (!row) {
      row = { id, name: m.package!.name, version: m.package!.version, selfBytes: 0, totalBytes: 0, selfMs: 0, totalMs: 0, modules: 0, firstModule: m.id };
      rows.set(id, row);
    }
    row.selfBytes += m.selfBytes;
    row.selfMs += m.selfMs;
    row.modules++;
    if (m.startMs < report.modules[row.firstModule]!.startMs) row.firstModule = m.id;
    // An entry point: loaded from outside the package. Entry points nested under another entry point
    // of the same package are already inside that one's totals.
    const parent = m.parent === null ? null : report.modules[m.parent]!;
    if (parent === null || packageId(parent) !== id) {
      let nested = false;
      for (let at = parent; at !== null; at = at.parent === null ? null : report.modules[at.parent]!) {
        if (packageId(at) === id) {
          nested = true;
          break;
        }
      }
      if (!nested) {
        row.totalBytes += m.totalBytes;
        row.totalMs += m.totalMs;
      }
    }
  }
  return [...rows.values()].sort((a, b) => b.totalBytes - a.totalBytes || a.id.localeCompare(b.id));
}

/** The import graph as deferralSavings walks it, built once per report (reports are frozen). */
interface Graph {
  out: number[][];
  roots: number[];
  byPackage: Map<string, number[]>;
  /** By package id, as computed: which modules start-up would still reach without it. */
  reached: Map<string, Uint8Array>;
}
const graphs = new WeakMap<Report, Graph | null>();

function graphOf(report: Report): Graph | null {
  if (graphs.has(report)) return graphs.get(report)!;
  const modules = report.modules;
  let graph = null;
  if (modules.every((m) => m.imports !== undefined)) {
    const byPackage = new Map<string, number[]>();
    for (const m of modules) {
      const id = packageId(m);
      if (id === null) continue;
      const list = byPackage.get(id);
      if (list) list.push(m.id);
      else byPackage.set(id, [m.id]);
    }
    graph = { out: modules.map((m) => m.imports!), roots: modules.flatMap((m) => (m.parent === null ? [m.id] : [])), byPackage, reached: new Map() };
  }
  graphs.set(report, graph);
  return graph;
}

/** The sum of `field` over the modules start-up would no longer reach without the package (null: no import graph). */
function sumUnreached(report: Report, row: PackageRow, field: 'selfBytes' | 'selfMs'): number | null {
  const graph = graphOf(report);
  if (graph === null) return null;
  let reached = graph.reached.get(row.id);
  if (reached === undefined) {
    reached = reachableAvoiding(graph.out, graph.roots, new Set(graph.byPackage.get(row.id) ?? []));
    graph.reached.set(row.id, reached);
  }
  let sum = 0;
  for (const m of report.modules) if (!reached[m.id]) sum += m[field];
  return sum;
}

/**
 * What leaves start-up if none of the package's modules is loaded then: the retained bytes of every
 * module the entry no longer reaches through the import graph (report modules' `imports`). Reports
 * written before the graph was recorded have no `imports`: their answer is the package's totalBytes.
 */
export function deferralSavings(report: Report, row: PackageRow): number {
  return sumUnreached(report, row, 'selfBytes') ?? row.totalBytes;
}

/** The same for load time: the self ms of those modules (ms); the package's totalMs without an import graph. */
export function deferralSavingsMs(report: Report, row: PackageRow): number {
  return sumUnreached(report, row, 'selfMs') ?? row.totalMs;
}

export interface DeferCandidate {
  row: PackageRow;
  /** deferralSavings(report, row) */
  saves: number;
  /** The app's own modules that import the package, first loader first (deferring it means each of those imports). */
  importers: number[];
}

/**
 * The packages the app's own code imports directly (what its author can defer), by what deferring each
 * would take out of start-up, most first. Uses the import graph (modules' `imports`), or the first-load
 * tree in reports written before it. `packages`: summarizePackages(report), when the caller has it.
 */
export function deferCandidates(report: Report, packages: PackageRow[] = summarizePackages(report)): DeferCandidate[] {
  const rows = new Map(packages.map((row) => [row.id, row]));
  const importers = new Map<string, Set<number>>();
  const children = (m: ReportModule): readonly number[] =>
    m.imports ?? report.modules.filter((c) => c.parent === m.id).map((c) => c.id);
  for (const m of report.modules) {
    if (m.thirdParty || m.kind === 'builtin') continue;
    for (const id of children(m)) {
      const pkg = packageId(report.modules[id]!);
      if (pkg === null || !rows.has(pkg)) continue;
      let set = importers.get(pkg);
      if (!set) importers.set(pkg, (set = new Set()));
      set.add(m.id);
    }
  }
  return [...importers]
    .map(([id, set]) => {
      const row = rows.get(id)!;
      const first = report.modules[row.firstModule]!.parent;
      const ordered = [...set].sort((a, b) => Number(b === first) - Number(a === first) || report.modules[a]!.startMs - report.modules[b]!.startMs);
      return { row, saves: deferralSavings(report, row), importers: ordered };
    })
    .sort((a, b) => b.saves - a.saves || a.row.id.localeCompare(b.row.id));
}

/**
 * Whether start-up called into a package the program imports (report.startupUse, V8's best-effort
 * coverage): `used` with the exports that ran, `not-used` when none of its exported functions did, or
 * null where it is not known (no coverage: Node 20, older reports; or no exported function to look at).
 */
export function startupUseOf(report: Report, row: PackageRow): { state: 'used' | 'not-used'; called: string[] } | null {
  if (!report.startupUse) return null;
  let api = 0;
  const called: string[] = [];
  for (const use of report.startupUse) {
    if (packageId(report.modules[use.module]!) !== row.id) continue;
    api += use.apiFunctions;
    called.push(...use.called);
  }
  if (called.length > 0) return { state: 'used', called: [...new Set(called)] };
  return api > 0 ? { state: 'not-used', called } : null;
}
