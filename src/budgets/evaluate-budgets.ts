/**
 * Budgets as a pure pass over reports, returning one row per budget (size-limit's calc): what the limit
 * was, what was measured, whether it held, and who to blame. Only the CLI turns rows into an exit code.
 */
import { diffReports, type ReportDiff } from '../analysis/diff-reports.js';
import { offenderOf, startupMetrics, type Offender, type StartupMetrics } from '../analysis/offender.js';
import { summarizePackages, type PackageRow } from '../analysis/rollup.js';
import { formatBytes, formatMs } from '../analysis/names.js';
import type { Report } from '../report/format.js';
import type { Budgets, IncreaseLimit, MaxIncrease } from './config.js';
import { governingPattern, matchesPackage } from './glob.js';

export type BudgetKind = 'heap' | 'loadTime' | 'modules' | 'package' | 'forbid' | 'increase';
export type BudgetUnit = 'bytes' | 'ms' | 'count';

export interface BudgetRow {
  /** `heap`, `loadTime`, `modules`, `packages["@aws-sdk/*"]`, `forbid["typescript"]`, `heap vs baseline` */
  name: string;
  kind: BudgetKind;
  unit: BudgetUnit;
  /** The most `actual` may be (for `forbid`: 0 bytes, i.e. not loaded). */
  limit: number;
  actual: number;
  passed: boolean;
  /** The package that fails the budget, or for a passing one the largest contributor. */
  offender: Offender | null;
  /** Rows against a baseline: the baseline's value, and the allowed growth as written. */
  baseline?: number;
  allowed?: string;
  /**
   * Other packages failing the same budget that this offender brings in (they are inside its bytes, and
   * deferring it defers them): listed here rather than as rows of their own.
   */
  brings?: string[];
  /** Time rows over several runs: the median is `actual`; this is the range. */
  spread?: { min: number; max: number; runs: number };
}

export interface CheckResult {
  passed: boolean;
  rows: BudgetRow[];
  /** Profiling runs the result is based on. */
  runs: number;
  /** Of the run whose heap is the median; loadTime is the median over runs. */
  metrics: StartupMetrics;
  /** The heaviest packages (by inclusive bytes). */
  top: Offender[];
  /** Against the baseline, when one was given. */
  diff: ReportDiff | null;
}

export interface EvaluateInput {
  /** One report per profiling run (at least one). */
  reports: Report[];
  budgets: Budgets;
  baseline?: Report | null;
  /** Offenders listed in `top`. */
  top?: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The report whose value of `pick` is the median (the lower middle one for an even count). */
export function medianReport(reports: Report[], pick: (r: Report) => number): Report {
  const sorted = [...reports].sort((a, b) => pick(a) - pick(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const describeIncrease = (limit: IncreaseLimit, unit: BudgetUnit): string =>
  'percent' in limit
    ? `+${+(limit.percent * 100).toFixed(2)}%`
    : `+${unit === 'bytes' ? formatBytes(limit.absolute) : unit === 'ms' ? formatMs(limit.absolute) : limit.absolute}`;

const allowedValue = (base: number, limit: IncreaseLimit): number => ('percent' in limit ? base * (1 + limit.percent) : base + limit.absolute);

/**
 * Split offenders into the outermost ones and, for each, those it brings in: a package whose chain passes
 * through another package of the same list is nested in it.
 */
function outermost(report: Report, rows: PackageRow[]): { row: PackageRow; brings: string[] }[] {
  const names = new Set(rows.map((r) => r.name));
  const top = new Map<string, { row: PackageRow; brings: string[] }>();
  const nested: [string, string][] = [];
  for (const row of rows) {
    let outer: string | null = null;
    for (let at = report.modules[row.firstModule]!.parent; at !== null; at = report.modules[at]!.parent) {
      const m = report.modules[at]!;
      if (m.thirdParty && m.package && m.package.name !== row.name && names.has(m.package.name)) outer = m.package.name;
    }
    if (outer === null) top.set(row.name, { row, brings: [] });
    else nested.push([outer, row.id]);
  }
  for (const [outer, id] of nested) top.get(outer)?.brings.push(id);
  return [...top.values()];
}

export function evaluateBudgets(input: EvaluateInput): CheckResult {
  if (input.reports.length === 0) throw new Error('evaluateBudgets needs at least one report');
  const { budgets } = input;
  const primary = medianReport(input.reports, (r) => startupMetrics(r).heap);
  const timed = medianReport(input.reports, (r) => startupMetrics(r).loadTime);
  const loadTimes = input.reports.map((r) => startupMetrics(r).loadTime);
  const spread = { min: Math.min(...loadTimes), max: Math.max(...loadTimes), runs: loadTimes.length };
  const metrics: StartupMetrics = { ...startupMetrics(primary), loadTime: median(loadTimes) };
  const packages = summarizePackages(primary);
  const heaviest = packages[0] ? offenderOf(primary, packages[0]) : null;
  const timedPackages = summarizePackages(timed).sort((a, b) => b.totalMs - a.totalMs);
  const slowest = timedPackages[0] ? offenderOf(timed, timedPackages[0]) : null;
  const mostModules = [...packages].sort((a, b) => b.modules - a.modules)[0];
  const rows: BudgetRow[] = [];

  if (budgets.heap !== undefined) {
    rows.push({ name: 'heap', kind: 'heap', unit: 'bytes', limit: budgets.heap, actual: metrics.heap, passed: metrics.heap <= budgets.heap, offender: heaviest });
  }
  if (budgets.loadTime !== undefined) {
    rows.push({
      name: 'loadTime',
      kind: 'loadTime',
      unit: 'ms',
      limit: budgets.loadTime,
      actual: metrics.loadTime,
      passed: metrics.loadTime <= budgets.loadTime,
      offender: slowest,
      spread,
    });
  }
  if (budgets.modules !== undefined) {
    rows.push({
      name: 'modules',
      kind: 'modules',
      unit: 'count',
      limit: budgets.modules,
      actual: metrics.modules,
      passed: metrics.modules <= budgets.modules,
      offender: mostModules ? offenderOf(primary, mostModules) : null,
    });
  }
  if (budgets.packages) {
    const patterns = Object.keys(budgets.packages);
    for (const pattern of patterns) {
      const limit = budgets.packages[pattern]!;
      // Each package answers to its most specific pattern only.
      const governed = packages.filter((p) => governingPattern(patterns, p.name) === pattern);
      const name = `packages["${pattern}"]`;
      const failing = governed.filter((p) => p.totalBytes > limit);
      for (const { row: p, brings } of outermost(primary, failing)) {
        rows.push({ name, kind: 'package', unit: 'bytes', limit, actual: p.totalBytes, passed: false, offender: offenderOf(primary, p), ...(brings.length ? { brings } : {}) });
      }
      if (failing.length === 0) {
        const largest = governed[0];
        rows.push({ name, kind: 'package', unit: 'bytes', limit, actual: largest?.totalBytes ?? 0, passed: true, offender: largest ? offenderOf(primary, largest) : null });
      }
    }
  }
  for (const pattern of budgets.forbid ?? []) {
    const name = `forbid["${pattern}"]`;
    const loaded = packages.filter((p) => matchesPackage(pattern, p.name));
    for (const { row: p, brings } of outermost(primary, loaded)) {
      rows.push({ name, kind: 'forbid', unit: 'bytes', limit: 0, actual: p.totalBytes, passed: false, offender: offenderOf(primary, p), ...(brings.length ? { brings } : {}) });
    }
    if (loaded.length === 0) rows.push({ name, kind: 'forbid', unit: 'bytes', limit: 0, actual: 0, passed: true, offender: null });
  }

  let diff: ReportDiff | null = null;
  if (input.baseline) {
    diff = diffReports(input.baseline, primary);
    rows.push(...increaseRows(budgets.maxIncrease ?? {}, diff, metrics, primary));
  }
  return {
    passed: rows.every((r) => r.passed),
    rows,
    runs: input.reports.length,
    metrics,
    top: packages.slice(0, input.top ?? 5).map((p) => offenderOf(primary, p)),
    diff,
  };
}

function increaseRows(max: MaxIncrease, diff: ReportDiff, metrics: StartupMetrics, head: Report): BudgetRow[] {
  const rows: BudgetRow[] = [];
  // Blame for growth: the package that grew most (a newly loaded one counts from 0), with its chain.
  const grower = (by: 'deltaBytes' | 'deltaMs' | 'modules'): Offender | null => {
    const key = (c: ReportDiff['packages'][number]) => (by === 'modules' ? c.headModules - c.baseModules : c[by]);
    const top = [...diff.packages].filter((c) => c.status !== 'removed' && c.broughtBy === null).sort((a, b) => key(b) - key(a))[0];
    if (!top || key(top) <= 0) return null;
    const row = summarizePackages(head).find((p) => p.name === top.name);
    return row ? offenderOf(head, row) : null;
  };
  const scalar = (metric: 'heap' | 'loadTime' | 'modules', unit: BudgetUnit, limit: IncreaseLimit, by: 'deltaBytes' | 'deltaMs' | 'modules') => {
    const before = diff.base[metric];
    const allowed = allowedValue(before, limit);
    const actual = metrics[metric];
    rows.push({
      name: `${metric} vs baseline`,
      kind: 'increase',
      unit,
      limit: allowed,
      actual,
      passed: actual <= allowed,
      offender: grower(by),
      baseline: before,
      allowed: describeIncrease(limit, unit),
    });
  };
  if (max.heap) scalar('heap', 'bytes', max.heap, 'deltaBytes');
  if (max.loadTime) scalar('loadTime', 'ms', max.loadTime, 'deltaMs');
  if (max.modules) scalar('modules', 'count', max.modules, 'modules');
  if (max.packages) {
    const limit = max.packages;
    const packages = summarizePackages(head);
    // A package brought in by another new one is inside that one's bytes: blame the outermost only.
    const failing = diff.packages.filter((c) => c.status !== 'removed' && c.broughtBy === null && c.headBytes > allowedValue(c.baseBytes, limit));
    for (const c of failing) {
      const row = packages.find((p) => p.name === c.name)!;
      rows.push({
        name: `packages["${c.name}"] vs baseline`,
        kind: 'increase',
        unit: 'bytes',
        limit: allowedValue(c.baseBytes, limit),
        actual: c.headBytes,
        passed: false,
        offender: offenderOf(head, row),
        baseline: c.baseBytes,
        allowed: describeIncrease(limit, 'bytes'),
      });
    }
    if (failing.length === 0) {
      const largest = diff.packages.filter((c) => c.status !== 'removed').sort((a, b) => b.deltaBytes - a.deltaBytes)[0];
      const row = largest ? packages.find((p) => p.name === largest.name) : undefined;
      rows.push({
        name: 'packages vs baseline',
        kind: 'increase',
        unit: 'bytes',
        limit: largest ? allowedValue(largest.baseBytes, limit) : 0,
        actual: largest?.headBytes ?? 0,
        passed: true,
        offender: row ? offenderOf(head, row) : null,
        baseline: largest?.baseBytes ?? 0,
        allowed: describeIncrease(limit, 'bytes'),
      });
    }
  }
  return rows;
}
