/**
 * `check`: find the config, profile its entry (or read stored reports), and evaluate the budgets. The
 * I/O shell around evaluateBudgets: no printing, results returned, known failures thrown as ImportcostError.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, relative, resolve } from 'node:path';
import { configError, targetError, usageError } from '../errors.js';
import { profile, type Until } from '../profile/run-profile.js';
import { DEFAULTS } from '../profile/defaults.js';
import type { Report } from '../report/format.js';
import { readReport } from '../report/read-report.js';
import { startupMetrics } from '../analysis/offender.js';
import { loadConfig, validateConfig, type Budgets, type ImportcostConfig, type MaxIncrease } from './config.js';
import { evaluateBudgets, medianReport, type CheckResult } from './evaluate-budgets.js';

export interface CheckOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** A config file path, or the config itself (as it would be written in importcost.config.json). Default: found in cwd. */
  config?: string | Record<string, unknown>;
  /** Budgets to add to (and override) the config's. */
  budgets?: Budgets;
  /** Overrides the config's entry (relative to cwd). */
  entry?: string;
  args?: string[];
  until?: Until;
  /** Read these reports instead of profiling (one per run). */
  reports?: string[];
  /** A stored report (path or the report) to compare against. */
  baseline?: string | Report;
  /** Growth allowed over the baseline; overrides budgets.maxIncrease metric by metric. */
  maxIncrease?: MaxIncrease;
  /** Profiling runs; time budgets use the median. Default: the config's, else 3 with a time budget and 1 without. */
  runs?: number;
  /**
   * Which process or thread of the run the budgets apply to: `main` (the main report: the first process
   * that listened, else the one that retained the most; the default), a role (`child`, `cluster-worker`,
   * `worker-thread`, `launcher`: the first of that role to start), or a label (`cluster-worker-2`).
   */
  process?: string;
  /** Folder for the head report (kept as the next baseline); default importcost-out. Null: keep nothing. */
  out?: string | null;
  node?: string;
  /** Packages listed in the result's `top` (default 5). */
  top?: number;
  onProgress?: (message: string) => void;
}

export interface CheckRunResult extends CheckResult {
  /** The process or thread the budgets were checked on, and how many the run had. */
  process: { label: string; role: string; pid: number; threadId: number; of: number };
  /** The report the byte budgets were measured on, as written to `out` (null with out: null or --report). */
  reportFile: string | null;
  /** Where the budgets came from (`importcost.config.json`, `package.json#importcost`, `options`). */
  configSource: string | null;
}

export async function check(options: CheckOptions = {}): Promise<CheckRunResult> {
  const cwd = options.cwd ?? process.cwd();
  const config: ImportcostConfig | null =
    typeof options.config === 'object' ? validateConfig(options.config, cwd, 'options.config') : await loadConfig(cwd, options.config);
  const budgets: Budgets = { ...config?.budgets, ...options.budgets };
  if (options.maxIncrease) budgets.maxIncrease = { ...budgets.maxIncrease, ...options.maxIncrease };
  if (options.baseline !== undefined && !budgets.maxIncrease) budgets.maxIncrease = {};
  const baseline = typeof options.baseline === 'string' ? readReport(resolve(cwd, options.baseline)) : (options.baseline ?? null);
  const hasBudget = ['heap', 'loadTime', 'modules', 'packages', 'forbid'].some((k) => budgets[k as keyof Budgets] !== undefined);
  if (!hasBudget && !baseline) {
    throw config
      ? configError(`${config.source} sets no budgets`, 'add "budgets": { "heap": "60 MB" }, or compare with --baseline <report>')
      : configError(`no importcost config in ${cwd}`, 'create importcost.config.json with an entry and budgets, or pass --config <file>');
  }

  let reports: Report[];
  let reportFile: string | null = null;
  const which = options.process ?? config?.process ?? 'main';
  if (options.reports && options.reports.length > 0) {
    reports = options.reports.map((file) => readReport(resolve(cwd, file)));
  } else {
    const entry = options.entry !== undefined ? resolve(cwd, options.entry) : config?.entry;
    if (!entry) {
      throw config
        ? configError(`${config.source} has no entry to profile`, 'add "entry": "src/server.js", or pass --report <file>')
        : usageError('nothing to profile', 'give --report <file>, or an entry in importcost.config.json');
    }
    const timeBudget = budgets.loadTime !== undefined || budgets.maxIncrease?.loadTime !== undefined;
    const runs = options.runs ?? config?.runs ?? (timeBudget ? 3 : 1);
    const profiled = await profileRuns(entry, runs, {
      cwd: config?.dir ?? cwd,
      env: options.env,
      args: options.args ?? config?.args ?? [],
      until: options.until ?? config?.until ?? 'auto',
      node: options.node,
      which,
      onProgress: options.onProgress,
    });
    try {
      reports = profiled.map((p) => p.report);
      if (options.out !== null) {
        const primary = medianReport(reports, (r) => startupMetrics(r).heap);
        const chosen = profiled[reports.indexOf(primary)]!;
        const out = resolve(cwd, options.out ?? DEFAULTS.out);
        mkdirSync(out, { recursive: true });
        const name = basename(entry, extname(entry)) || 'profile';
        reportFile = join(out, `${name}.importcost.json`);
        copyFileSync(chosen.files.report, reportFile);
        copyFileSync(chosen.files.speedscope, join(out, `${name}.speedscope.json`));
      }
    } finally {
      for (const p of profiled) rmSync(p.dir, { recursive: true, force: true });
    }
  }
  const result = evaluateBudgets({ reports, budgets, baseline, top: options.top });
  const checked = reports[0]!;
  return {
    ...result,
    process: { label: checked.process.label, role: checked.process.role, pid: checked.process.pid, threadId: checked.process.threadId, of: checked.processes?.length ?? 1 },
    reportFile,
    configSource: config?.source ?? (typeof options.config === 'object' ? 'options' : null),
  };
}

/** The report of the process `which` names (see CheckOptions.process), with the run's list of processes. */
function pickProcess(run: { report: Report; processes: { report: Report; files: { report: string; speedscope: string } }[] }, which: string) {
  const all = run.processes;
  const found =
    which === 'main'
      ? all[0]
      : (all.find((p) => p.report.process.label === which) ??
        [...all].sort((a, b) => a.report.process.pid - b.report.process.pid || a.report.process.threadId - b.report.process.threadId).find((p) => p.report.process.role === which));
  if (!found) {
    const ran = all.map((p) => `${p.report.process.label} (${p.report.process.role})`).join(', ');
    throw configError(`the run has no process "${which}"; it ran ${ran}`, 'process is main, a role (child, cluster-worker, worker-thread, launcher) or a label');
  }
  // Its report, with the list of every process the main report has (for the summary and the JSON).
  return { report: found === all[0] ? found.report : { ...found.report, processes: run.report.processes }, files: found.files };
}

interface RunOptions {
  /** Which process's report to keep (CheckOptions.process). */
  which: string;
  cwd: string;
  env?: Record<string, string | undefined>;
  args: string[];
  until: Until;
  node?: string;
  onProgress?: (message: string) => void;
}

/** Profile `entry` `runs` times into temp folders; the target's output is not shown (it would mix with ours). */
async function profileRuns(entry: string, runs: number, options: RunOptions) {
  const results: { report: Report; files: { report: string; speedscope: string }; dir: string }[] = [];
  const shown = relative(options.cwd, entry) || entry;
  try {
    for (let i = 0; i < runs; i++) {
      options.onProgress?.(`profiling ${shown}${runs > 1 ? ` (run ${i + 1} of ${runs})` : ''}`);
      const dir = mkdtempSync(join(tmpdir(), 'importcost-check-'));
      // No codeCacheTag: the sampling flag stays set through built-in loads, so a deterministic program's
      // readings repeat from run to run, as a gate wants (ProfileOptions.codeCacheTag).
      const run = await profile({
        command: [entry, ...options.args],
        cwd: options.cwd,
        env: options.env,
        out: dir,
        until: options.until,
        node: options.node,
        stdio: 'ignore',
      }).catch((err: unknown) => {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      });
      let picked: ReturnType<typeof pickProcess>;
      try {
        picked = pickProcess(run, options.which);
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      const { report, files } = picked;
      results.push({ report, files, dir });
      if (report.stop.reason === 'crash') {
        throw targetError(`${shown} crashed during start-up: ${report.stop.error ?? `exit code ${report.stop.exitCode}`}`, `run it with node ${shown} to see why`);
      }
    }
  } catch (err) {
    for (const r of results) rmSync(r.dir, { recursive: true, force: true });
    throw err;
  }
  return results;
}
