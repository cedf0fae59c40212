/**
 * What `importcost fit` says of the profile at the minimum: which packages hold the heap there, and what
 * deferring the top candidates would bring it down to. Pure: a report in, data out. The savings are
 * predictions from the import graph (rollup.ts); `importcost defer` measures them.
 */
import type { FitProfile } from '../fit/format.js';
import type { Report } from '../report/format.js';
import { reachableAvoiding } from './import-graph.js';
import { deferCandidates, deferralSavings, summarizePackages } from './rollup.js';

/** Packages listed as holders, and candidates deferred together. */
const HOLDERS = 5;
const CANDIDATES = 3;
const MiB = 1024 * 1024;

export function summarizeAtMinimum(report: Report, minOldSpaceMB: number): Omit<FitProfile, 'report' | 'atMB'> {
  const packages = summarizePackages(report);
  const holders = packages.slice(0, HOLDERS).map((row) => ({ package: row.id, totalBytes: row.totalBytes, deferBytes: deferralSavings(report, row) }));
  const candidates = deferCandidates(report, packages)
    .filter((c) => c.saves > 0)
    .slice(0, CANDIDATES);
  const importedAt = (first: number, importers: number[]): string[] => {
    const site = report.modules[first]!.site;
    const others = importers.map((id) => report.modules[id]!.path).filter((path) => path !== site?.file);
    return [...(site ? [`${site.file}:${site.line}:${site.column}`] : []), ...others];
  };
  const savesBytes = Math.min(report.totals.heapBytes, savedTogether(report, candidates.map((c) => c.row.id), candidates.map((c) => c.saves)));
  return {
    heapBytes: report.totals.heapBytes,
    attributedBytes: report.totals.attributedBytes,
    holders,
    defer: {
      candidates: candidates.map((c) => ({
        package: c.row.id,
        savesBytes: c.saves,
        predictedMinOldSpaceMB: predictMinimum(minOldSpaceMB, c.saves),
        importedAt: importedAt(c.row.firstModule, c.importers),
      })),
      savesBytes,
      predictedHeapBytes: report.totals.heapBytes - savesBytes,
      predictedMinOldSpaceMB: predictMinimum(minOldSpaceMB, savesBytes),
    },
  };
}

/**
 * The minimum less what deferring saves, rounded up: it assumes the old space the program needs drops by
 * what leaves its heap, byte for byte. Measured on examples/express-server (README): @aws-sdk/client-s3
 * saves 3.45 MB, predicting 10 MiB from 13; deferred, fit found 9 MiB in 2 runs of 2.
 */
const predictMinimum = (minOldSpaceMB: number, savesBytes: number): number => Math.max(1, Math.ceil(minOldSpaceMB - savesBytes / MiB));

/**
 * What leaves start-up when none of these packages loads then: the retained bytes of every module the
 * entry no longer reaches (modules shared with what stays are counted once, and kept). Without the import
 * graph (reports before it was recorded), the sum of each one's own saving.
 */
function savedTogether(report: Report, packageIds: string[], each: number[]): number {
  const modules = report.modules;
  if (packageIds.length === 0) return 0;
  if (!modules.every((m) => m.imports !== undefined)) return each.reduce((a, b) => a + b, 0);
  const wanted = new Set(packageIds);
  const avoid = new Set(modules.filter((m) => m.package && wanted.has(`${m.package.name}@${m.package.version}`)).map((m) => m.id));
  const reached = reachableAvoiding(
    modules.map((m) => m.imports!),
    modules.filter((m) => m.parent === null).map((m) => m.id),
    avoid,
  );
  let saved = 0;
  for (const m of modules) if (!reached[m.id]) saved += m.selfBytes;
  return saved;
}
