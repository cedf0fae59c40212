/**
 * A readable dump of the import tree, one line a module: `chain;of;names selfBytes selfMs`, in load
 * order. The golden tests snapshot it (speedscope's checkProfileSnapshot habit); it also reads well.
 */
import { chainOf } from '../analysis/rollup.js';
import type { Report } from '../report/format.js';

export function exportCollapsed(report: Report): string {
  return report.modules
    .map((m) => `${chainOf(report, m.id).map((id) => report.modules[id]!.name).join(';')} ${m.selfBytes} ${m.kind}`)
    .join('\n')
    .concat('\n');
}
