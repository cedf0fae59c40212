/**
 * The terminal summary of a profile: totals, the top packages and modules by retained heap and by load
 * time, each with its share, the chain that first loaded it and the line that imports it.
 * Only reporters print (shared/STYLE.md); this one writes to the stream it is given.
 */
import type { Report } from '../report/format.js';
import { chainOf, deferCandidates, deferralSavings, summarizePackages, type DeferCandidate } from '../analysis/rollup.js';
import { formatBytes, formatMs } from '../analysis/names.js';
import { formatSite, relPath } from './format-values.js';
import type { Style } from './style.js';

export { pickStyle, type Style } from './style.js';

const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

export function formatSummary(
  report: Report,
  options: { top: number; style: Style; files: string[]; cwd: string },
): string {
  const { style, top } = options;
  const t = report.totals;
  // Shares are of what the program allocated and kept (V8's sampled estimate), the same scale as the rows.
  const programBytes = report.sampling.sampledBytes + report.sampling.unsampledBytes;
  const lines: string[] = [];
  const stop = report.stop;
  const stopped =
    stop.reason === 'exit' || stop.reason === 'crash'
      ? `${stop.reason === 'crash' ? style.red('crashed') : 'exited'} with code ${stop.exitCode ?? '?'}`
      : `stopped at ${stop.reason}${stop.signal ? ` (${stop.signal})` : ''}`;
  lines.push(
    `${style.bold('importcost')}  ${formatBytes(t.heapBytes)} heap at the end of start-up ` +
      `(${formatBytes(t.baselineBytes)} of it Node's own), ${formatMs(t.wallMs)}, ` +
      `${t.modules} modules from ${t.packages} packages; the target ${stopped}`,
  );
  lines.push(
    `  attributed to module loads: ${formatBytes(t.attributedBytes)}, ${pct(t.attributedBytes, programBytes)} of the ` +
      `${formatBytes(programBytes)} the program allocated and kept  ${style.dim(`(sampled every ${report.sampling.intervalBytes} bytes)`)}`,
  );
  if (stop.error) lines.push(`  ${style.red('error:')} ${stop.error}`);
  const esmModules = report.modules.filter((m) => m.kind === 'esm').length;
  if (report.esmHooks === 'off-thread' && esmModules > 0) {
    lines.push(
      `  ${style.yellow('note:')} Node ${report.node} runs importcost's ESM hooks on their own thread and keeps its import ` +
        `resolution caches there, so the ${esmModules} ES modules read about 2 kB each low (not on Node 22.15+)`,
    );
  }

  const site = (id: number): string => formatSite(report.modules[id]!.site, options.cwd);
  const chain = (id: number): string =>
    chainOf(report, id)
      .map((c) => report.modules[c]!.name)
      .join(' > ');

  const packages = summarizePackages(report);
  const section = (title: string, rows: string[][]): void => {
    if (rows.length === 0) return;
    lines.push('', style.bold(title));
    for (const row of rows) lines.push(...row);
  };
  section(
    'Top packages by retained heap (inclusive: all it loaded first; "defer saves": what would leave start-up)',
    packages.slice(0, top).map((p, i) => [
      `  ${String(i + 1).padStart(2)}. ${style.yellow(p.id.padEnd(40))} ${formatBytes(p.totalBytes).padStart(9)} ${pct(p.totalBytes, programBytes).padStart(6)}` +
        `  ${style.dim(`defer saves ${formatBytes(deferralSavings(report, p))}, self ${formatBytes(p.selfBytes)}, ${formatMs(p.totalMs)}, ${p.modules} files`)}`,
      `      ${style.dim('via')} ${chain(p.firstModule)}`,
      `      ${style.dim('at')}  ${site(p.firstModule)}`,
    ]),
  );
  // Where the app imports a candidate: the line, when an app file loaded it first; else which file.
  const whereImported = (c: DeferCandidate): string => {
    const firstModule = report.modules[c.row.firstModule]!;
    if (firstModule.parent === c.importers[0]) return `at ${site(firstModule.id)}`;
    return `imported by ${report.modules[c.importers[0]!]!.name}`;
  };
  section(
    'Defer candidates: what your own imports would take out of start-up if deferred',
    deferCandidates(report, packages)
      .slice(0, top)
      .filter((c) => c.saves > 0)
      .map((c, i) => [
        `  ${String(i + 1).padStart(2)}. ${style.yellow(c.row.id.padEnd(40))} ${formatBytes(c.saves).padStart(9)} ${pct(c.saves, programBytes).padStart(6)}` +
          `  ${style.dim(`${whereImported(c)}${c.importers.length > 1 ? `, and ${c.importers.length - 1} more of your files` : ''}`)}`,
      ]),
  );
  section(
    'Top packages by load time (inclusive)',
    [...packages]
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top)
      .map((p, i) => [
        `  ${String(i + 1).padStart(2)}. ${style.yellow(p.id.padEnd(40))} ${formatMs(p.totalMs).padStart(9)} ${pct(p.totalMs, t.wallMs).padStart(6)}` +
          `  ${style.dim(`at ${site(p.firstModule)}`)}`,
      ]),
  );
  section(
    'Top modules by retained heap (self)',
    [...report.modules]
      .sort((a, b) => b.selfBytes - a.selfBytes)
      .slice(0, top)
      .filter((m) => m.selfBytes > 0)
      .map((m, i) => [
        `  ${String(i + 1).padStart(2)}. ${m.name.padEnd(56)} ${formatBytes(m.selfBytes).padStart(9)} ${pct(m.selfBytes, programBytes).padStart(6)}` +
          `  ${style.dim(`at ${site(m.id)}`)}`,
      ]),
  );
  section(
    'Top modules by load time (self)',
    [...report.modules]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .filter((m) => m.selfMs > 0)
      .map((m, i) => [
        `  ${String(i + 1).padStart(2)}. ${m.name.padEnd(56)} ${formatMs(m.selfMs).padStart(9)} ${pct(m.selfMs, t.wallMs).padStart(6)}` +
          `  ${style.dim(`at ${site(m.id)}`)}`,
      ]),
  );
  // (Under 1 kB is rounding: the code spaces' share is counted per module in whole bytes.)
  const unattributed = report.buckets.filter((b) => b.name !== 'baseline' && Math.abs(b.bytes) >= 1024);
  if (unattributed.length > 0) {
    lines.push('', style.bold('Not attributed to a module load'));
    for (const b of unattributed) lines.push(`  ${b.name.padEnd(18)} ${formatBytes(b.bytes).padStart(9)}  ${style.dim(b.description)}`);
  }
  if (options.files.length > 0) {
    lines.push('', `Wrote ${options.files.map((f) => relPath(f, options.cwd)).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
