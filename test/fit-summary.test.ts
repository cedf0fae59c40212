/**
 * What fit says of the profile at the minimum (src/analysis/fit-summary.ts, pure): holders, and what
 * deferring the top candidates saves together, modules they share counted once.
 */
import { describe, expect, it } from 'vitest';
import { summarizeAtMinimum } from '../src/analysis/fit-summary.js';
import { syntheticReport } from './helpers/synthetic-report.js';

// server.js imports a and b; a loads `shared` first (2 MB), and b imports it too.
function twoShareOne() {
  const report = syntheticReport(
    [
      { name: './server.js', bytes: 500_000 },
      { name: 'a', parent: 0, bytes: 1_000_000, line: 1 },
      { name: 'shared', parent: 1, bytes: 2_000_000 },
      { name: 'b', parent: 0, bytes: 1_000_000, line: 2 },
    ],
    { heap: 10_000_000 },
  );
  const imports = [[1, 3], [2], [], [2]];
  for (const m of report.modules) m.imports = imports[m.id]!;
  return report;
}

describe('summarizeAtMinimum', () => {
  it('each candidate alone saves only its own module (the other still needs shared); together they save shared too', () => {
    const summary = summarizeAtMinimum(twoShareOne(), 10);
    expect(summary.holders.map((h) => [h.package, h.totalBytes, h.deferBytes])).toEqual([
      ['a@1.0.0', 3_000_000, 1_000_000],
      ['shared@1.0.0', 2_000_000, 2_000_000],
      ['b@1.0.0', 1_000_000, 1_000_000],
    ]);
    expect(summary.defer.candidates.map((c) => [c.package, c.savesBytes, c.predictedMinOldSpaceMB])).toEqual([
      ['a@1.0.0', 1_000_000, 10], // 10 MiB - 0.95 MiB, rounded up
      ['b@1.0.0', 1_000_000, 10],
    ]);
    expect(summary.defer.savesBytes).toBe(4_000_000);
    expect(summary.defer.predictedHeapBytes).toBe(6_000_000);
    expect(summary.defer.predictedMinOldSpaceMB).toBe(7); // 10 MiB - 3.81 MiB = 6.19, rounded up
    expect(summary.defer.candidates[0]!.importedAt).toEqual(['/app/server.js:1:1']);
  });

  it('without the import graph (older reports), the candidates together save the sum of each alone', () => {
    const report = twoShareOne();
    for (const m of report.modules) delete m.imports;
    const summary = summarizeAtMinimum(report, 10);
    expect(summary.defer.savesBytes).toBe(summary.defer.candidates.reduce((sum, c) => sum + c.savesBytes, 0));
  });
});
