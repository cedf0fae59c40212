/**
 * `importcost check` results as text (a terminal, a CI log), markdown (a step summary, a PR comment) or
 * JSON. Each returns a string; the command writes it. Only reporters decide what the output says.
 */
import type { BudgetRow, CheckResult } from '../budgets/evaluate-budgets.js';
import type { Offender } from '../analysis/offender.js';
import { formatBytes, formatMs } from '../analysis/names.js';
import { formatDiffMarkdown, formatDiffText } from './diff.js';
import { formatSite, formatValue, signed } from './format-values.js';

export type CheckFormat = 'text' | 'markdown' | 'json';

export interface CheckReportOptions {
  /** Sites are shown relative to this folder. */
  cwd: string;
  configSource?: string | null;
  reportFile?: string | null;
  /** The process the budgets were checked on, and how many the run had. */
  process?: { label: string; role: string; pid: number; threadId: number; of: number };
  /** Rows in each list of the diff against the baseline (default 5 in text, 10 in markdown). */
  top?: number;
}

const failedCount = (r: CheckResult) => r.rows.filter((row) => !row.passed).length;

const bringsText = (row: BudgetRow): string =>
  row.brings?.length ? `, with ${row.brings.length} more matching package${row.brings.length === 1 ? '' : 's'} it brings in` : '';

/** One sentence per row: what was measured against what. */
export function describeRow(row: BudgetRow): string {
  const o = row.offender;
  if (row.kind === 'forbid') {
    return row.passed ? 'not loaded at start-up' : `${o?.package ?? '?'} loads at start-up (${formatBytes(row.actual)}${bringsText(row)}); defer it`;
  }
  const measured = `${formatValue(row.unit, row.actual)}, limit ${formatValue(row.unit, row.limit)}`;
  if (row.kind === 'increase') {
    const grown = row.baseline !== undefined ? `${signed(row.unit, row.actual - row.baseline)} over the baseline's ${formatValue(row.unit, row.baseline)}` : '';
    return `${measured} (${grown}${grown ? ', ' : ''}allowed ${row.allowed})`;
  }
  if (row.kind === 'package') return `${o?.package ?? 'no package'} ${measured}${row.brings ? ` (${bringsText(row).slice(2)})` : ''}`;
  if (row.spread && row.spread.runs > 1) {
    return `${measured} (median of ${row.spread.runs} runs, spread ${formatMs(row.spread.min)} .. ${formatMs(row.spread.max)})`;
  }
  return measured;
}

/** What the offender line says for a row: who to blame and why. */
export function blameOf(row: BudgetRow): string | null {
  const o = row.offender;
  if (!o) return null;
  if (row.kind === 'forbid' || row.kind === 'package') return o.package;
  if (row.kind === 'increase') return `largest growth: ${o.package}`;
  if (row.kind === 'loadTime') return `slowest: ${o.package} ${formatMs(o.ms)}`;
  if (row.kind === 'modules') return `most modules: ${o.package}`;
  return `heaviest: ${o.package} ${formatBytes(o.bytes)}`;
}

function headline(result: CheckResult): string {
  const failed = failedCount(result);
  const runs = `${result.runs} run${result.runs === 1 ? '' : 's'}`;
  return result.passed
    ? `all ${result.rows.length} budgets hold (${runs})`
    : `${failed} of ${result.rows.length} budgets failed (${runs})`;
}

const offenderLines = (o: Offender, cwd: string, indent: string): string[] => [
  `${indent}via ${o.chain.join(' > ')}`,
  // A dependency of a dependency: the app's line that brings it in, and where it is imported itself.
  `${indent}at  ${formatSite(o.site, cwd)}${o.importedAt && !sameSite(o) ? `  (${o.name} itself is imported at ${formatSite(o.importedAt, cwd)})` : ''}`,
  `${indent}deferring ${o.name} would take ${formatBytes(o.deferBytes)} out of start-up`,
];
const sameSite = (o: Offender): boolean =>
  o.site !== null && o.importedAt !== null && o.site.file === o.importedAt.file && o.site.line === o.importedAt.line && o.site.column === o.importedAt.column;

/** Which process the budgets applied to, where the run had more than one. */
const processText = (options: CheckReportOptions): string => {
  const p = options.process;
  return p && p.of > 1 ? `${p.label} (${p.role}, pid ${p.pid}${p.threadId ? `, thread ${p.threadId}` : ''}; ${p.of} processes and threads in the run)` : '';
};

export function formatCheckText(result: CheckResult, options: CheckReportOptions): string {
  const lines: string[] = [`importcost check: ${result.passed ? 'ok' : 'FAILED'}, ${headline(result)}${options.configSource ? `, budgets from ${options.configSource}` : ''}`];
  if (processText(options)) lines.push(`  budgets apply to ${processText(options)}`);
  lines.push('');
  const width = Math.max(...result.rows.map((r) => r.name.length), 8);
  // Failures first: they are what a CI log is read for.
  for (const row of [...result.rows].sort((a, b) => Number(a.passed) - Number(b.passed))) {
    lines.push(`  ${row.passed ? 'ok  ' : 'FAIL'}  ${row.name.padEnd(width)}  ${describeRow(row)}`);
    const blame = blameOf(row);
    if (!row.passed && row.offender) {
      if (blame && row.kind !== 'forbid' && row.kind !== 'package') lines.push(`        ${blame}`);
      lines.push(...offenderLines(row.offender, options.cwd, '        '));
    }
  }
  if (result.top.length > 0) {
    lines.push('', `Top packages by retained heap (inclusive; heap ${formatBytes(result.metrics.heap)}, load ${formatMs(result.metrics.loadTime)}, ${result.metrics.modules} modules)`);
    result.top.forEach((o, i) => {
      lines.push(`  ${String(i + 1).padStart(2)}. ${o.package.padEnd(40)} ${formatBytes(o.bytes).padStart(9)}  defer saves ${formatBytes(o.deferBytes).padStart(9)}  ${formatMs(o.ms).padStart(7)}  at ${formatSite(o.site, options.cwd)}`);
    });
  }
  if (result.diff) lines.push('', formatDiffText(result.diff, { cwd: options.cwd, top: options.top ?? 5, title: 'Against the baseline' }).trimEnd());
  if (options.reportFile) lines.push('', `Wrote ${options.reportFile} (store it as the next baseline)`);
  return `${lines.join('\n')}\n`;
}

const md = (s: string): string => s.replace(/\|/g, '\\|');
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

export function formatCheckMarkdown(result: CheckResult, options: CheckReportOptions): string {
  const lines: string[] = [
    `## importcost: ${result.passed ? '✅' : '❌'} ${headline(result)}`,
    ...(processText(options) ? ['', `Budgets apply to ${md(processText(options))}.`] : []),
    '',
    '| | budget | result | offender | import site |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const row of [...result.rows].sort((a, b) => Number(a.passed) - Number(b.passed))) {
    const o = row.offender;
    lines.push(
      `| ${row.passed ? '✅' : '❌'} | ${code(row.name)} | ${md(describeRow(row))} | ${o ? md(blameOf(row) ?? '') : ''} | ${o ? code(formatSite(o.site, options.cwd)) : ''} |`,
    );
  }
  if (result.top.length > 0) {
    lines.push('', '### Top offenders', '', 'What each package loaded first (retained), what deferring it would take out of start-up, and the chain that loads it.', '');
    lines.push('| package | retained | defer saves | load time | chain | import site |', '| --- | ---: | ---: | ---: | --- | --- |');
    for (const o of result.top) {
      lines.push(`| ${code(o.package)} | ${formatBytes(o.bytes)} | ${formatBytes(o.deferBytes)} | ${formatMs(o.ms)} | ${md(o.chain.join(' › '))} | ${code(formatSite(o.site, options.cwd))} |`);
    }
  }
  if (result.diff) lines.push('', formatDiffMarkdown(result.diff, { cwd: options.cwd, top: options.top ?? 10, level: 3, title: 'Against the baseline' }).trimEnd());
  return `${lines.join('\n')}\n`;
}

export function formatCheckJson(result: CheckResult, options: CheckReportOptions): string {
  return `${JSON.stringify({ ...result, configSource: options.configSource ?? null, reportFile: options.reportFile ?? null, process: options.process ?? null }, null, 2)}\n`;
}

export function formatCheck(format: CheckFormat, result: CheckResult, options: CheckReportOptions): string {
  return format === 'json' ? formatCheckJson(result, options) : format === 'markdown' ? formatCheckMarkdown(result, options) : formatCheckText(result, options);
}
