/**
 * `importcost defer`: profile the program, pick the packages (named, or the profile's top defer
 * candidates), then run the program as it is and with each package's imports made lazy, `runs` times
 * each, to the same stop point as `profile`, measuring the heap there after a full GC (no sampling) and
 * the load time; after start-up a server gets one request, so that a use from a request handler is seen.
 * Writes `<out>/<name>.defer.json` beside the profile's report. The I/O shell around
 * analysis/defer-advice.ts: no printing (progress goes to `onProgress`), failures thrown as ImportcostError.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { buildDeferPackage, spreadOf, type MeasuredRun, type NotMeasurable } from '../analysis/defer-advice.js';
import { findPackageImportSites } from '../analysis/find-import-site.js';
import { readImportStatement, suggestChange, type ImportStatement } from '../analysis/import-statement.js';
import { startupMetrics } from '../analysis/offender.js';
import { deferCandidates, deferralSavings, deferralSavingsMs, summarizePackages, type DeferCandidate, type PackageRow } from '../analysis/rollup.js';
import type { DeferSettings } from '../agent/types.cjs';
import { ImportcostError, isImportcostError, targetError, usageError } from '../errors.js';
import { profile, type ProfileOptions, type Until } from '../profile/run-profile.js';
import { writeFileAtomically } from '../profile/write-atomically.js';
import type { DeferUse, ExportShape } from '../recording/format.js';
import type { Report } from '../report/format.js';
import { IMPORTCOST_VERSION } from '../version.js';
import { DEFER_SCHEMA, type DeferFile, type DeferPackage, type DeferSite, type RunOutcome, type Suggestion } from './format.js';
import { sendRequest, type Answer } from './health-request.js';

export interface DeferOptions {
  /** As ProfileOptions.command: `[entry, ...args]`, `[node, ...flags, entry, ...args]`, or any command. */
  command: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  out?: string;
  name?: string;
  /** Packages to defer; default: the profile's top defer candidates. */
  packages?: string[];
  /** How many candidates when no package is named (default 5). */
  top?: number;
  /** Runs of each variant (default 3). */
  runs?: number;
  /** The path a server is sent after start-up (default `/`); null: no request. */
  health?: string | null;
  until?: Until;
  timeoutMs?: number;
  settleMs?: number;
  idleMs?: number;
  node?: string;
  forwardSignals?: boolean;
  codeCacheTag?: number;
  onProgress?: (message: string) => void;
}

export interface DeferRunResult {
  defer: DeferFile;
  /** `<out>/<name>.defer.json` */
  file: string;
  /** The profile the candidates and predictions came from, and its files. */
  report: Report;
  reportFiles: { report: string; speedscope: string };
  /** 0 when every deferred program still started, 1 when one broke. */
  exitCode: number;
}

export const DEFER_DEFAULTS = { top: 5, runs: 3, health: '/' };
/** After a server answered, how long a use it makes after answering has to be recorded (ms). */
const AFTER_ANSWER_MS = 100;
/** `import defer` runs on Node 26.4+ (under V8's --js-defer-import-eval). */
const IMPORT_DEFER_NODE: [number, number] = [26, 4];
/**
 * A named ESM import gets a module of stand-ins on Node 22.15+: in-thread module hooks (registerHooks,
 * 22.15) that serve it, and require() of an ES module (22.12) that loads the real one at its first use.
 */
const ESM_STAND_IN_NODE: [number, number] = [22, 15];

/** One import of the package in the program's own files. */
interface ImportSiteInfo {
  file: string;
  /** Where the specifier stands, or null where it was not found in the text. */
  site: DeferSite | null;
  specifier: string;
  statement: ImportStatement | null;
  esm: boolean;
}

interface Target {
  /** The profile it was chosen from. */
  report: Report;
  row: PackageRow;
  candidate: DeferCandidate;
  sites: ImportSiteInfo[];
  method: DeferPackage['method'];
  /** Some of its imports are ES module imports deferred in place: the runs need the agent's ESM hooks. */
  esm: boolean;
  notMeasurable: NotMeasurable | null;
}

export async function runDefer(options: DeferOptions): Promise<DeferRunResult> {
  const cwd = options.cwd ?? process.cwd();
  const runs = options.runs ?? DEFER_DEFAULTS.runs;
  const health = options.health === undefined ? DEFER_DEFAULTS.health : options.health;
  const progress = options.onProgress ?? (() => {});
  const common: Omit<ProfileOptions, 'command'> = {
    cwd,
    env: options.env,
    until: options.until,
    timeoutMs: options.timeoutMs,
    settleMs: options.settleMs,
    idleMs: options.idleMs,
    node: options.node,
    forwardSignals: options.forwardSignals,
    stdio: 'ignore',
  };
  // The profile also records what each export the program's own files import is (after its heap was
  // read): the stand-ins of the deferred runs take the same shape.
  const probe: DeferSettings = { packages: [], watch: [], probe: ['*'], shapes: {}, importDefer: false };
  const profiled = await profile({ ...common, command: options.command, out: options.out, name: options.name, codeCacheTag: options.codeCacheTag, onProgress: progress, defer: probe });
  if (profiled.end === 'interrupted') throw interrupted(profiled.exitCode);
  const report = profiled.report;
  if (report.stop.reason === 'crash' || report.totals.heap === 'last-reading') {
    throw targetError(
      `the program does not start as it is (${report.stop.reason}${report.stop.error ? `: ${report.stop.error.split('\n')[0]}` : ''})`,
      'defer compares against the program as it is: make it start under importcost profile first',
    );
  }
  const targets = chooseTargets(report, options, cwd);
  const nodeVersion = report.node;
  const importDefer = atLeast(nodeVersion, IMPORT_DEFER_NODE);
  const esmStandIns = atLeast(nodeVersion, ESM_STAND_IN_NODE);
  for (const t of targets) decideMethod(t, importDefer, esmStandIns);

  const measurable = targets.filter((t) => t.method !== 'not-measurable');
  const asIs: (MeasuredRun & { report: Report })[] = [];
  const deferred = new Map<PackageRow, MeasuredRun[]>(measurable.map((t) => [t.row, []]));
  // Every run gets the same settings but for the package it defers (none, as it is): the agent then keeps
  // the same data and runs the same hooks in both, and the heaps differ by what the program loaded.
  const watch = measurable.map((t) => t.row.name);
  const shapes: Record<string, ExportShape> = {};
  for (const { record } of profiled.deferRecords) {
    for (const [file, shape] of Object.entries(record.shapes)) if (watch.some((name) => file.includes(`/node_modules/${name}/`))) shapes[file] = shape;
  }
  const settingsFor = (packages: string[]): DeferSettings => ({ packages, watch, probe: [], shapes, importDefer: measurable.some((t) => t.esm) });
  const total = measurable.length === 0 ? 0 : runs * (1 + measurable.length);
  let done = 0;
  const runOnce = async (label: string, settings: DeferSettings | undefined, pkg: string | null) => {
    progress(`run ${++done} of ${total}: ${label}`);
    return measureRun({ ...common, command: options.command }, settings, pkg, health);
  };
  for (let i = 0; i < runs && measurable.length > 0; i++) {
    const run = await runOnce(`as it is${runs > 1 ? ` (${i + 1} of ${runs})` : ''}`, settingsFor([]), null);
    if (run.outcome.stopReason === 'crash' || run.report.totals.heap === 'last-reading') {
      throw targetError(`the program did not start as it is in run ${done} (${run.outcome.error ?? run.outcome.stopReason})`, 'it must start every time for the runs to compare; check it with importcost profile');
    }
    asIs.push(run);
    for (const t of measurable) {
      deferred.get(t.row)!.push(await runOnce(`${t.row.name} deferred${runs > 1 ? ` (${i + 1} of ${runs})` : ''}`, settingsFor([t.row.name]), t.row.name));
    }
  }

  const packages = targets.map((t) => {
    const suggestions = t.sites.flatMap((s) => (s.statement && s.site ? [suggestChange(s.statement, s.file, t.row.name, s.specifier, importDefer)] : [])).filter((s): s is Suggestion => s !== null);
    const predictedMs = spreadOf(
      asIs.map((run) => {
        const row = summarizePackages(run.report).find((r) => r.id === t.row.id);
        return row ? deferralSavingsMs(run.report, row) : 0;
      }),
    ).median;
    return buildDeferPackage({
      name: t.row.name,
      version: t.row.version,
      // Bytes from the profile's samples; ms from the runs as it is, which are timed unsampled like the deferred ones.
      predicted: { bytes: deferralSavings(report, t.row), ms: asIs.length > 0 ? predictedMs : deferralSavingsMs(report, t.row) },
      asIs,
      deferred: deferred.get(t.row) ?? [],
      method: t.method,
      suggestions,
      notMeasurable: t.notMeasurable,
      sideEffectSites: t.sites.filter((s) => s.statement?.form === 'require-bare' && s.site).map((s) => s.site!),
      request: report.process.listen && health !== null ? `GET ${health}` : null,
      cwd,
    });
  });

  const first = asIs[0];
  const asIsOutcome: RunOutcome = first?.outcome ?? { stopReason: report.stop.reason, exitCode: profiled.exitCode, error: report.stop.error };
  const defer: DeferFile = {
    schema: DEFER_SCHEMA,
    importcost: IMPORTCOST_VERSION,
    node: nodeVersion,
    command: options.command,
    cwd,
    createdAt: report.createdAt,
    report: { file: basename(profiled.files.report), createdAt: report.createdAt },
    until: String(options.until ?? 'auto'),
    request: report.process.listen && health !== null ? { path: health } : null,
    asIs: {
      runs: asIs.length,
      heapBytes: spreadOf(asIs.map((r) => r.heapBytes)),
      loadMs: spreadOf(asIs.map((r) => r.loadMs)),
      outcome: asIsOutcome,
    },
    packages,
  };
  const file = join(dirname(profiled.files.report), `${basename(profiled.files.report).replace(/\.importcost\.json$/, '')}.defer.json`);
  writeFileAtomically(file, `${JSON.stringify(defer, null, 1)}\n`);
  return { defer, file, report, reportFiles: profiled.files, exitCode: packages.some((p) => p.stillStarts === false) ? 1 : 0 };
}

const interrupted = (exitCode: number): ImportcostError => new ImportcostError('target', 'interrupted', 'nothing was written for this run', exitCode);

function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

/** The packages named (each checked: known, loaded at start-up, imported by the program's own code), or the top candidates. */
function chooseTargets(report: Report, options: DeferOptions, cwd: string): Target[] {
  const rows = summarizePackages(report);
  const candidates = deferCandidates(report, rows);
  const target = (candidate: DeferCandidate): Target => {
    const t: Target = { report, row: candidate.row, candidate, sites: [], method: 'stand-in', esm: false, notMeasurable: null };
    t.sites = candidate.importers.flatMap((id) => importSitesOf(t, id));
    return t;
  };
  // A package loaded while one of the program's files was loading, by a call into another package (a
  // factory that requires more), counts as imported by that file in the report's graph; only an import
  // statement or a require in the file's text can be deferred.
  const imported = (t: Target): boolean => t.sites.some((s) => s.site !== null && s.statement !== null);
  if (!options.packages || options.packages.length === 0) {
    return candidates
      .filter((c) => c.saves > 0)
      .map(target)
      .filter(imported)
      .slice(0, options.top ?? DEFER_DEFAULTS.top);
  }
  const errors: string[] = [];
  const chosen: Target[] = [];
  for (const name of [...new Set(options.packages)]) {
    const candidate = candidates.find((c) => c.row.name === name);
    const t = candidate ? target(candidate) : null;
    if (t && imported(t)) {
      chosen.push(t);
      continue;
    }
    const row = rows.find((r) => r.name === name);
    if (row) {
      const importer = report.modules[report.modules[row.firstModule]!.parent ?? row.firstModule]!;
      const by = importer.thirdParty && importer.package ? ` (${importer.package.name}@${importer.package.version} brings it in)` : '';
      errors.push(`${name} is not imported by your own code${by}: no import or require of it in your files; defer what brings it in instead`);
    } else if (isInstalled(name, cwd)) {
      errors.push(`${name} is not loaded at start-up: there is nothing to defer`);
    } else {
      errors.push(`unknown package ${name}: it is not installed where the program runs (${cwd})`);
    }
  }
  if (errors.length > 0) {
    // One line a package: the CLI prints `importcost: <line>` for each.
    throw usageError(errors.join('\nimportcost: '), 'name a package your own files import at start-up (importcost profile lists them as defer candidates)');
  }
  return chosen;
}

function isInstalled(name: string, cwd: string): boolean {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dir === dirname(dir)) return false;
  }
}

/** How the imports of the package (t.sites) can be deferred in place. */
function decideMethod(t: Target, importDefer: boolean, esmStandIns: boolean): void {
  let method: DeferPackage['method'] = 'stand-in';
  for (const s of t.sites) {
    const form = s.statement?.form ?? null;
    let reason: NotMeasurable['reason'] | null = null;
    if (form === 'esm-namespace') {
      if (importDefer) method = 'import-defer';
      else reason = 'no-import-defer';
    } else if (form === 'esm-named') {
      if (!esmStandIns) reason = 'named-imports';
    } else if (form === 'esm-bare') reason = 'side-effect-import';
    else if (s.esm && (form === null || form === 'other')) reason = 'not-recognised';
    if (form === 'esm-namespace' || form === 'esm-named') t.esm = true;
    if (reason !== null && t.notMeasurable === null) {
      t.notMeasurable = { site: s.site ?? { file: s.file, line: 1, column: 1 }, statement: s.statement?.text ?? s.specifier, reason };
    }
  }
  t.method = t.notMeasurable ? 'not-measurable' : method;
}

/** Where importer `id` imports the package (each import or require of it in the file), and the statement there. */
function importSitesOf(t: Target, id: number): ImportSiteInfo[] {
  const importer = t.report.modules[id]!;
  const file = importer.path;
  let source: string | null = null;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    source = null;
  }
  const esm = importer.kind === 'esm' || /\.m[jt]s$/.test(file);
  const found = source === null ? [] : findPackageImportSites(source, t.row.name);
  if (found.length === 0) {
    // Not found in the text (generated code, an alias): the site the report has, if it is this file's.
    const first = t.report.modules[t.row.firstModule]!;
    const site = first.parent === id && first.site ? first.site : null;
    return [{ file, site, specifier: t.row.name, statement: null, esm }];
  }
  return found.map(({ specifier, line, column }) => ({
    file,
    site: { file, line, column },
    specifier,
    statement: readImportStatement(source!, { line, column }, specifier),
    esm,
  }));
}

/** One run to the stop point, measured unsampled; a server gets the request once start-up is over. */
async function measureRun(
  base: ProfileOptions,
  settings: DeferSettings | undefined,
  pkg: string | null,
  health: string | null,
): Promise<MeasuredRun & { report: Report }> {
  const dir = mkdtempSync(join(tmpdir(), 'importcost-defer-'));
  let answer: Promise<Answer> | null = null;
  try {
    const result = await profile({
      ...base,
      out: dir,
      name: 'run',
      sampler: 'none',
      ...(settings ? { defer: settings } : {}),
      afterStartup: async ({ listen }) => {
        if (listen === null || health === null) return;
        answer = sendRequest(listen, health);
        await answer;
        await delay(AFTER_ANSWER_MS);
      },
    });
    if (result.end === 'interrupted') throw interrupted(result.exitCode);
    const got = answer === null ? null : await (answer as Promise<Answer>);
    const report = result.report;
    const metrics = startupMetrics(report);
    // The main process's record first (its key is its pid), then any other process's.
    const records = [...result.deferRecords].sort((a, b) => Number(b.key === String(report.process.pid)) - Number(a.key === String(report.process.pid)));
    let use: DeferUse | null = null;
    let crash: string | null = null;
    for (const { record } of records) {
      use ??= pkg === null ? null : (record.uses.find((u) => u.package === pkg) ?? null);
      crash ??= record.crash;
    }
    const outcome: RunOutcome = {
      stopReason: report.stop.reason,
      exitCode: result.exitCode,
      ...(report.process.listen && health !== null ? { status: got?.status ?? null } : {}),
      error: report.stop.error ?? crash ?? use?.error ?? got?.error ?? null,
    };
    return { heapBytes: metrics.heap, loadMs: metrics.loadTime, outcome, use, report };
  } catch (err) {
    // A deferred program that died before its agent could record anything: broken, and that is the answer.
    if (pkg === null || !isImportcostError(err) || err.message === 'interrupted') throw err;
    const empty = { schema: 'importcost-report@2' } as unknown as Report;
    return { heapBytes: 0, loadMs: 0, outcome: { stopReason: 'killed', exitCode: err.exitCode, error: err.message }, use: null, report: empty };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
