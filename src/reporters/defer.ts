/**
 * The terminal table of `importcost defer`: for each package, what deferring its imports was predicted
 * to save against what it saved when the program ran that way, whether it still started, where it was
 * first used, the note, and the change at its import site as before and after lines. Also the plain
 * progress lines of the runs. Only reporters print (shared/STYLE.md); this one returns text.
 */
import { formatBytes, formatMs } from '../analysis/names.js';
import { formatDeferSite } from '../analysis/defer-advice.js';
import type { DeferFile, DeferPackage } from '../defer/format.js';
import type { Style } from './summary.js';
import { relPath } from './format-values.js';

const range = (lo: number, hi: number, format: (n: number) => string): string => `${format(lo)}..${format(hi)}`;

function firstUseText(p: DeferPackage, cwd: string): string {
  const u = p.firstUse;
  if (p.measured === null && p.stillStarts === null) return 'not measured';
  if (u.phase === 'never') return 'not used in the run';
  const where = u.site ? ` at ${formatDeferSite(u.site, cwd)}` : '';
  return `${u.phase === 'startup' ? 'during start-up' : 'after start-up'}${where}${u.how ? ` (${u.how})` : ''}`;
}

export function formatDeferTable(defer: DeferFile, options: { style: Style; cwd: string; files: string[] }): string {
  const { style, cwd } = options;
  const lines: string[] = [];
  const a = defer.asIs;
  const answered = a.outcome.status !== undefined ? `, answered ${defer.request ? `GET ${defer.request.path}` : 'the request'} with ${a.outcome.status === null ? 'nothing' : `HTTP ${a.outcome.status}`}` : '';
  lines.push(
    `${style.bold('importcost defer')}  ${defer.packages.length} package${defer.packages.length === 1 ? '' : 's'}; ` +
      `the program as it is and with each one's imports deferred, ${a.runs} run${a.runs === 1 ? '' : 's'} each ` +
      style.dim('(heap at the stop point after a full GC, measured not sampled; load time of start-up; medians)'),
  );
  if (a.runs > 0) {
    lines.push(
      `  as it is: ${formatBytes(a.heapBytes.median)} heap ${style.dim(`(${range(a.heapBytes.min, a.heapBytes.max, formatBytes)})`)}, ` +
        `${formatMs(a.loadMs.median)} load ${style.dim(`(${range(a.loadMs.min, a.loadMs.max, formatMs)})`)}; stopped at ${a.outcome.stopReason}${answered}`,
    );
  }
  if (defer.packages.length === 0) {
    lines.push('', 'Nothing to defer: the profile found no package your own files import that deferring would take out of start-up.');
  } else {
    const header = ['package', 'predicted', 'measured', 'range', 'load time', 'still starts', 'first use'];
    const rows = defer.packages.map((p) => [
      `${p.name}@${p.version}`,
      formatBytes(p.predicted.bytes),
      p.measured ? formatBytes(p.measured.bytes) : '-',
      p.measured ? range(p.measured.bytesRange[0], p.measured.bytesRange[1], formatBytes) : '',
      p.measured ? `${formatMs(p.measured.ms)} of ${formatMs(p.predicted.ms)}` : `${formatMs(p.predicted.ms)} predicted`,
      p.stillStarts === null ? '-' : p.stillStarts ? 'yes' : 'NO',
      firstUseText(p, cwd),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const pad = (cells: string[]): string =>
      cells.map((c, i) => (i === cells.length - 1 ? c : i >= 1 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
    lines.push('', `  ${style.bold(pad(header))}`);
    for (const [i, row] of rows.entries()) {
      const p = defer.packages[i]!;
      const text = pad(row);
      lines.push(`  ${p.stillStarts === false ? style.red(text) : p.firstUse.phase === 'startup' ? style.yellow(text) : text}`);
    }
    for (const p of defer.packages) {
      lines.push('', `${style.bold(`${p.name}@${p.version}`)}: ${p.note}`);
      if (p.stillStarts === false && p.outcome?.error) lines.push(`  ${style.red('error:')} ${p.outcome.error}`);
      for (const s of p.suggestions) {
        lines.push(`  ${style.dim('change at')} ${relPath(s.file, cwd)}:${s.line}`);
        for (const line of s.before.split('\n')) lines.push(`    ${style.red(`- ${line}`)}`);
        for (const line of s.after.split('\n')) lines.push(`    + ${line}`);
      }
      if (p.suggestions.length === 0) lines.push(`  ${style.dim('no change to suggest: importcost writes none for this form of import (a require used where it stands, an import for its side effects)')}`);
    }
  }
  if (options.files.length > 0) lines.push('', `Wrote ${options.files.map((f) => relPath(f, cwd)).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
