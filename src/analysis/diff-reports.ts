/**
 * What changed between two reports of the same program: packages newly loaded at start-up (and the chain
 * that brings them in), grown, shrunk, no longer loaded; sorted by bytes. Pure.
 */
import type { ImportSite, Report } from '../report/format.js';
import { DEFAULT_MIN_BYTES } from './diff-defaults.js';
import { offenderOf, startupMetrics, type StartupMetrics } from './offender.js';
import { summarizePackages, type PackageRow } from './rollup.js';

export type ChangeStatus = 'added' | 'removed' | 'grew' | 'shrank' | 'unchanged';

export interface PackageChange {
  /** Package name; the versions of it that loaded are in baseVersions/headVersions. */
  name: string;
  status: ChangeStatus;
  baseVersions: string[];
  headVersions: string[];
  /** Inclusive retained bytes (all versions of the package added up). */
  baseBytes: number;
  headBytes: number;
  deltaBytes: number;
  baseMs: number;
  headMs: number;
  deltaMs: number;
  baseModules: number;
  headModules: number;
  /** The chain that loads it: from head, or from base for a package no longer loaded. */
  chain: string[];
  /** The app-code import that brings it in (see Offender.site). */
  site: ImportSite | null;
  /**
   * For a newly loaded package: the outermost newly loaded package above it in its chain (the one to
   * look at: deferring it takes this one away too). Null when nothing above it is new.
   */
  broughtBy: string | null;
}

export interface ReportDiff {
  base: StartupMetrics;
  head: StartupMetrics;
  /** Every package that changed (status other than unchanged, or a version change), largest |deltaBytes| first. */
  packages: PackageChange[];
  /** Packages loaded by both whose bytes moved less than minBytes and whose version did not change. */
  unchanged: number;
}

export interface DiffOptions {
  /** Smaller moves than this count as unchanged: sampling error is a few percent per package (bytes). */
  minBytes?: number;
}

export { DEFAULT_MIN_BYTES };

interface Group {
  rows: PackageRow[];
  bytes: number;
  ms: number;
  modules: number;
}

function group(report: Report): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const row of summarizePackages(report)) {
    let g = groups.get(row.name);
    if (!g) groups.set(row.name, (g = { rows: [], bytes: 0, ms: 0, modules: 0 }));
    g.rows.push(row);
    g.bytes += row.totalBytes;
    g.ms += row.totalMs;
    g.modules += row.modules;
  }
  return groups;
}

export function diffReports(base: Report, head: Report, options: DiffOptions = {}): ReportDiff {
  const minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
  const before = group(base);
  const after = group(head);
  const changes: PackageChange[] = [];
  let unchanged = 0;
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(name);
    const h = after.get(name);
    const deltaBytes = (h?.bytes ?? 0) - (b?.bytes ?? 0);
    const status: ChangeStatus = !b ? 'added' : !h ? 'removed' : deltaBytes >= minBytes ? 'grew' : deltaBytes <= -minBytes ? 'shrank' : 'unchanged';
    const baseVersions = (b?.rows ?? []).map((r) => r.version).sort();
    const headVersions = (h?.rows ?? []).map((r) => r.version).sort();
    if (status === 'unchanged' && baseVersions.join() === headVersions.join()) {
      unchanged++;
      continue;
    }
    const [report, row] = h ? [head, h.rows[0]!] : [base, b!.rows[0]!];
    const offender = offenderOf(report, row);
    changes.push({
      name,
      status,
      baseVersions,
      headVersions,
      baseBytes: b?.bytes ?? 0,
      headBytes: h?.bytes ?? 0,
      deltaBytes,
      baseMs: b?.ms ?? 0,
      headMs: h?.ms ?? 0,
      deltaMs: (h?.ms ?? 0) - (b?.ms ?? 0),
      baseModules: b?.modules ?? 0,
      headModules: h?.modules ?? 0,
      chain: offender.chain,
      site: offender.site,
      broughtBy: null,
    });
  }
  // A newly loaded package's chain passes through the names of the packages above it: the outermost
  // one that is also new is what brought it in.
  const added = new Map(changes.filter((c) => c.status === 'added').map((c) => [c.name, c]));
  for (const c of added.values()) {
    const row = after.get(c.name)!.rows[0]!;
    let at = head.modules[row.firstModule]!.parent;
    for (; at !== null; at = head.modules[at]!.parent) {
      const pkg = head.modules[at]!.package;
      if (pkg && head.modules[at]!.thirdParty && pkg.name !== c.name && added.has(pkg.name)) c.broughtBy = pkg.name;
    }
  }
  changes.sort((x, y) => Math.abs(y.deltaBytes) - Math.abs(x.deltaBytes) || x.name.localeCompare(y.name));
  return { base: startupMetrics(base), head: startupMetrics(head), packages: changes, unchanged };
}
