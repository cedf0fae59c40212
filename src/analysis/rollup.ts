/**
 * Views over the frozen report that every reporter and the viewer share. Pure.
 */
import type { Report, ReportModule } from '../report/format.js';

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
  /** Retained bytes of everything loaded through the package's entry points (what deferring it saves). */
  totalBytes: number;
  selfMs: number;
  totalMs: number;
  modules: number;
  /** The first module of the package loaded (its chain and site are how the package came in). */
  firstModule: number;
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
