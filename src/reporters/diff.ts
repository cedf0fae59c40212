/**
 * `importcost diff` as text or markdown: the start-up totals before and after, then the packages newly
 * loaded (with the chain that brings each in), grown, shrunk and no longer loaded, largest first.
 */
import type { ChangeStatus, PackageChange, ReportDiff } from '../analysis/diff-reports.js';
import { formatBytes } from '../analysis/names.js';
import { formatSite, formatValue, signed } from './format-values.js';

export interface DiffReportOptions {
  cwd: string;
  /** Rows per section. */
  top: number;
  title?: string;
  /** Markdown heading level. */
  level?: number;
}

const SECTIONS: { status: ChangeStatus | 'version'; title: string; mark: string }[] = [
  { status: 'added', title: 'Newly loaded at start-up', mark: '+' },
  { status: 'grew', title: 'Grew', mark: '>' },
  { status: 'shrank', title: 'Shrank', mark: '<' },
  { status: 'removed', title: 'No longer loaded at start-up', mark: '-' },
  { status: 'version', title: 'Version changed, size about the same', mark: '~' },
];

const sectionOf = (c: PackageChange): ChangeStatus | 'version' => (c.status === 'unchanged' ? 'version' : c.status);

const versions = (c: PackageChange): string => {
  const before = c.baseVersions.join(', ');
  const after = c.headVersions.join(', ');
  if (c.status === 'added') return `@${after}`;
  if (c.status === 'removed') return `@${before}`;
  return before === after ? `@${after}` : ` ${before} -> ${after}`;
};

const pct = (delta: number, base: number): string => (base > 0 ? ` (${delta >= 0 ? '+' : ''}${((100 * delta) / base).toFixed(1)}%)` : '');

function totals(diff: ReportDiff): [string, string, string, string][] {
  return (['heap', 'loadTime', 'modules'] as const).map((metric) => {
    const unit = metric === 'heap' ? 'bytes' : metric === 'loadTime' ? 'ms' : 'count';
    const b = diff.base[metric];
    const h = diff.head[metric];
    return [metric, formatValue(unit, b), formatValue(unit, h), `${signed(unit, h - b)}${pct(h - b, b)}`];
  });
}

/** Newly loaded packages that another newly loaded one brings in, by the outer one's name. */
function broughtCounts(diff: ReportDiff): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of diff.packages) if (c.broughtBy) counts.set(c.broughtBy, (counts.get(c.broughtBy) ?? 0) + 1);
  return counts;
}

export function formatDiffText(diff: ReportDiff, options: DiffReportOptions): string {
  const lines: string[] = [options.title ?? 'importcost diff'];
  for (const [metric, b, h, d] of totals(diff)) lines.push(`  ${metric.padEnd(9)} ${b.padStart(9)} -> ${h.padStart(9)}  ${d}`);
  const brought = broughtCounts(diff);
  for (const section of SECTIONS) {
    // Packages a newly loaded one brings in are counted under it, not listed.
    const rows = diff.packages.filter((c) => sectionOf(c) === section.status && c.broughtBy === null);
    if (rows.length === 0) continue;
    lines.push('', `${section.title} (${rows.length})`);
    for (const c of rows.slice(0, options.top)) {
      const more = brought.get(c.name);
      lines.push(
        `  ${section.mark} ${(c.name + versions(c)).padEnd(42)} ${signed('bytes', c.deltaBytes).padStart(10)}  ${formatBytes(c.baseBytes)} -> ${formatBytes(c.headBytes)}` +
          (more ? `  (and ${more} package${more === 1 ? '' : 's'} it brings in)` : ''),
      );
      if (c.status !== 'unchanged') {
        lines.push(`      via ${c.chain.join(' > ')}`, `      at  ${formatSite(c.site, options.cwd)}`);
      }
    }
    if (rows.length > options.top) lines.push(`  ... and ${rows.length - options.top} more (--top to see them)`);
  }
  lines.push('', `${diff.unchanged} package${diff.unchanged === 1 ? '' : 's'} unchanged`);
  return `${lines.join('\n')}\n`;
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

export function formatDiffMarkdown(diff: ReportDiff, options: DiffReportOptions): string {
  const h = '#'.repeat(options.level ?? 2);
  const lines: string[] = [`${h} ${options.title ?? 'importcost diff against the baseline'}`, '', '| | baseline | this change | difference |', '| --- | ---: | ---: | ---: |'];
  for (const [metric, b, hd, d] of totals(diff)) lines.push(`| ${metric} | ${b} | ${hd} | ${d} |`);
  const rows = diff.packages.filter((c) => c.broughtBy === null);
  if (rows.length > 0) {
    const brought = broughtCounts(diff);
    lines.push('', '| | package | difference | baseline → now | chain | import site |', '| --- | --- | ---: | --- | --- | --- |');
    for (const c of rows.slice(0, options.top)) {
      const section = SECTIONS.find((s) => s.status === sectionOf(c))!;
      const more = brought.get(c.name);
      lines.push(
        `| ${section.title} | ${code(c.name + versions(c).trim())}${more ? ` and ${more} it brings in` : ''} | ${signed('bytes', c.deltaBytes)} | ${formatBytes(c.baseBytes)} → ${formatBytes(c.headBytes)} | ${c.chain.join(' › ').replace(/\|/g, '\\|')} | ${code(formatSite(c.site, options.cwd))} |`,
      );
    }
    if (rows.length > options.top) lines.push('', `… and ${rows.length - options.top} more changes.`);
  }
  lines.push('', `${diff.unchanged} packages unchanged.`);
  return `${lines.join('\n')}\n`;
}
