/**
 * Who to blame: a package, the chain that loads it, and the line in the app's own code that brings it
 * in (where a pull request's annotation belongs). Pure, over the frozen report.
 */
import type { ImportSite, Report } from '../report/format.js';
import { chainOf, deferralSavings, type PackageRow } from './rollup.js';

export interface Offender {
  /** `name@version` */
  package: string;
  name: string;
  /** Retained bytes, inclusive (everything the package loaded first). */
  bytes: number;
  /** What deferring the package would take out of start-up (rollup.deferralSavings). */
  deferBytes: number;
  /** Load time, inclusive (ms). */
  ms: number;
  /** Display names from the entry down to the package. */
  chain: string[];
  /**
   * The import in the app's own code that brings the package in: for a dependency of a dependency, the
   * line that imports the first third-party package of its chain. Null when the chain starts outside the app.
   */
  site: ImportSite | null;
  /** Where the package itself is imported (inside another package when it is not a direct dependency). */
  importedAt: ImportSite | null;
}

/** The app-code import site on the chain to module `id`. */
export function appSiteOf(report: Report, id: number): ImportSite | null {
  const chain = chainOf(report, id);
  for (const at of chain) {
    const m = report.modules[at]!;
    const parent = m.parent === null ? null : report.modules[m.parent]!;
    if (m.thirdParty && parent !== null && !parent.thirdParty && parent.kind !== 'builtin') return m.site;
  }
  return report.modules[id]!.site;
}

export function offenderOf(report: Report, row: PackageRow): Offender {
  return {
    package: row.id,
    name: row.name,
    bytes: row.totalBytes,
    deferBytes: deferralSavings(report, row),
    ms: row.totalMs,
    chain: chainOf(report, row.firstModule).map((c) => report.modules[c]!.name),
    site: appSiteOf(report, row.firstModule),
    importedAt: report.modules[row.firstModule]!.site,
  };
}

/** The numbers budgets are written against. */
export interface StartupMetrics {
  /** Heap at the end of start-up (bytes, after a forced GC), less importcost's own bookkeeping in the target. */
  heap: number;
  /** Wall ms of loading the entry (and any --require/--import preloads) and everything they import. */
  loadTime: number;
  /** Modules loaded at start-up, builtins included. */
  modules: number;
}

export function startupMetrics(report: Report): StartupMetrics {
  const agent = report.buckets.find((b) => b.name === 'agent')?.bytes ?? 0;
  let loadTime = 0;
  for (const m of report.modules) if (m.parent === null) loadTime += m.totalMs;
  return { heap: report.totals.heapBytes - agent, loadTime, modules: report.modules.length };
}
