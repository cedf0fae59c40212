/** `diff`: the public API's counterpart of `importcost diff`, taking reports or their files. */
import { diffReports, type DiffOptions, type ReportDiff } from '../analysis/diff-reports.js';
import type { Report } from '../report/format.js';
import { readReport } from '../report/read-report.js';

export function diff(base: Report | string, head: Report | string, options: DiffOptions = {}): ReportDiff {
  const read = (r: Report | string): Report => (typeof r === 'string' ? readReport(r) : r);
  return diffReports(read(base), read(head), options);
}
