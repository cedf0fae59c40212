/**
 * The terminal summary of a profile: totals, the top packages and modules by retained heap and by load
 * time, each with its share, the chain that first loaded it and the line that imports it.
 * Only reporters print (shared/STYLE.md); this one writes to the stream it is given.
 */
import type { Report } from '../report/format.js';
import { chainOf, deferCandidates, deferralSavings, startupUseOf, summarizePackages, type DeferCandidate } from '../analysis/rollup.js';
import { alikeGroups } from '../analysis/process-roles.js';
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
  const processes = report.processes ?? [];
  if (processes.length > 1) lines.push(...formatProcesses(report, style), '');
  const who = processes.length > 1 ? `${report.process.label} (pid ${report.process.pid}${report.process.threadId ? `, thread ${report.process.threadId}` : ''})` : 'the target';
  if (t.heap === 'last-reading') {
    lines.push(...formatPartial(report, style, who, options));
    return `${lines.join('\n')}\n`;
  }
  const stopped =
    stop.reason === 'exit' || stop.reason === 'crash'
      ? `${stop.reason === 'crash' ? style.red('crashed') : 'exited'} with code ${stop.exitCode ?? '?'}`
      : `stopped at ${stop.reason}${stop.signal ? ` (${stop.signal})` : ''}`;
  lines.push(
    `${style.bold('importcost')}  ${formatBytes(t.heapBytes)} heap at the end of start-up ` +
      `(${formatBytes(t.baselineBytes)} of it Node's own), ${formatMs(t.wallMs)}, ` +
      `${t.modules} modules from ${t.packages} packages; ${who} ${stopped}`,
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

  for (const note of report.notes ?? []) lines.push(`  ${style.yellow('note:')} ${note}`);
  const site = (id: number): string => formatSite(report.modules[id]!.site, options.cwd);
  /** Where a module inside a bundle came from, for its row. */
  const bundled = (id: number): string => {
    const bundle = report.modules[id]!.bundle;
    return bundle === undefined ? '' : `, in bundle ${relPath(report.modules[bundle]!.path, options.cwd)}`;
  };
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
        `  ${style.dim(`defer saves ${formatBytes(deferralSavings(report, p))}, self ${formatBytes(p.selfBytes)}, ${report.modules[p.firstModule]!.bundle === undefined ? formatMs(p.totalMs) : 'time not measured'}, ${p.modules} files${bundled(p.firstModule)}`)}`,
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
  // Whether start-up called into it (V8's coverage, Node 22+): `importcost defer` proves it.
  const startupUse = (c: DeferCandidate): string => {
    const use = startupUseOf(report, c.row);
    if (use === null) return '';
    if (use.state === 'not-used') return `; ${style.bold('not used at start-up')}`;
    const names = use.called.slice(0, 3).join(', ') + (use.called.length > 3 ? ` and ${use.called.length - 3} more` : '');
    return `; start-up ran ${names}`;
  };
  section(
    'Defer candidates: what your own imports would take out of start-up if deferred',
    deferCandidates(report, packages)
      .slice(0, top)
      .filter((c) => c.saves > 0)
      .map((c, i) => [
        `  ${String(i + 1).padStart(2)}. ${style.yellow(c.row.id.padEnd(40))} ${formatBytes(c.saves).padStart(9)} ${pct(c.saves, programBytes).padStart(6)}` +
          `  ${style.dim(`${whereImported(c)}${c.importers.length > 1 ? `, and ${c.importers.length - 1} more of your files` : ''}${startupUse(c)}`)}`,
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
          `  ${style.dim(`at ${site(m.id)}${bundled(m.id)}`)}`,
      ]),
  );
  // A bundle's own line: its text and compiled top level, which no package inside it takes out of start-up.
  section(
    'Bundles (their own text and compiled code: what deferring a package inside one leaves in start-up)',
    (report.bundles ?? []).map((b) => {
      const m = report.modules[b.module]!;
      const top = b.byPackage.slice(0, 3).map((p) => `${p.name} ${formatBytes(p.chars)}`).join(', ');
      return [
        `  ${m.name.padEnd(56)} ${formatBytes(m.selfBytes).padStart(9)} ${pct(m.selfBytes, programBytes).padStart(6)}` +
          `  ${style.dim(`${b.modules} of its ${b.sources} files ran; text ${formatBytes(b.textChars)}: ${top}`)}`,
      ];
    }),
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

const ROLE_PLURAL: Record<string, string> = {
  'cluster-worker': 'cluster workers',
  'worker-thread': 'worker threads',
  child: 'child processes',
};

/**
 * A line per process or thread (the main report's first), then what alike workers add up to: each pays
 * for every import it loads (the pre-fork lesson).
 */
function formatProcesses(report: Report, style: Style): string[] {
  const processes = report.processes ?? [];
  const lines = [style.bold(`Processes and threads (${processes.length}; the report below is of ${report.process.label})`)];
  for (const p of processes) {
    const main = p.pid === report.process.pid && p.threadId === report.process.threadId;
    const heap = p.heap === 'last-reading' ? `${formatBytes(p.heapBytes)}?` : formatBytes(p.heapBytes);
    lines.push(
      `  ${main ? '*' : ' '} ${p.label.padEnd(20)} ${p.role.padEnd(14)} pid ${String(p.pid).padEnd(7)}${p.threadId ? ` thread ${String(p.threadId).padEnd(3)}` : '           '}` +
        ` ${heap.padStart(10)} heap ${String(p.modules).padStart(5)} modules ${formatMs(p.wallMs).padStart(8)}  ${style.dim(`${p.stopReason}, ${p.file}`)}`,
    );
  }
  if (processes.some((p) => p.heap === 'last-reading')) lines.push(`  ${style.dim('?: the last heap reading of a process that ended before its profile was read')}`);
  for (const group of alikeGroups(processes)) {
    const n = group.members.length;
    const heaps = group.members.map((m) => m.heapBytes);
    const each = heaps.reduce((a, b) => a + b, 0) / n;
    let line = `  ${n} ${ROLE_PLURAL[group.role] ?? group.role} x ${formatBytes(each)} = ${formatBytes(each * n)}`;
    const inGroup = group.members.some((m) => m.pid === report.process.pid && m.threadId === report.process.threadId);
    if (inGroup) {
      const top = deferCandidates(report, summarizePackages(report)).find((c) => c.saves > 0);
      if (top) line += `; deferring ${top.row.id} saves ${n} x ${formatBytes(top.saves)} = ${formatBytes(n * top.saves)}`;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * A process that ended before its heap profile was read (killed, out of memory, blocked): what it loaded,
 * in order, with times, and its last heap reading; no attribution.
 */
function formatPartial(report: Report, style: Style, who: string, options: { top: number; files: string[]; cwd: string }): string[] {
  const t = report.totals;
  const stop = report.stop;
  const how: Record<string, string> = {
    killed: `was killed${stop.signal ? ` by ${stop.signal}` : ''}`,
    'out-of-memory': 'ran out of memory',
    watchdog: `did not finish start-up within the timeout: importcost stopped it`,
    terminated: 'ended (its thread was terminated)',
  };
  const lines = [
    `${style.bold('importcost')}  ${who} ${style.red(how[stop.reason] ?? `stopped (${stop.reason})`)} before its heap could be read; ` +
      `${t.modules} modules had loaded in ${formatMs(t.wallMs)}; last heap reading ${formatBytes(t.heapBytes)} at ${formatMs(t.heapAtMs)} (no attribution)`,
  ];
  if (stop.error) lines.push(`  ${style.red('error:')} ${stop.error}`);
  const unfinished = report.modules.filter((m) => !m.ok);
  if (unfinished.length > 0) {
    lines.push(`  ${style.yellow('still loading or failed:')} ${unfinished.map((m) => m.name).join(', ')}`);
  }
  const last = report.modules.slice(-options.top);
  lines.push('', style.bold(`Last ${last.length} of ${report.modules.length} modules loaded, in order`));
  for (const m of last) {
    lines.push(`  ${formatMs(m.startMs).padStart(9)}  ${m.name.padEnd(56)} ${formatMs(m.totalMs).padStart(9)}  ${style.dim(`at ${formatSite(m.site, options.cwd)}`)}`);
  }
  const packages = summarizePackages(report);
  lines.push('', style.bold('Top packages by load time (inclusive)'));
  for (const [i, p] of [...packages].sort((a, b) => b.totalMs - a.totalMs).slice(0, options.top).entries()) {
    lines.push(`  ${String(i + 1).padStart(2)}. ${style.yellow(p.id.padEnd(40))} ${formatMs(p.totalMs).padStart(9)}  ${style.dim(`${p.modules} files`)}`);
  }
  if (options.files.length > 0) lines.push('', `Wrote ${options.files.map((f) => relPath(f, options.cwd)).join(', ')}`);
  return lines;
}
