/**
 * What `view` and `export --html` show: a report (with its flamegraph built from it), or a speedscope
 * file alone (flamegraph only). Checked before any server starts or file is written, so a foreign,
 * truncated or newer-schema file is one line and exit 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { deferralSavings, summarizePackages, type PackageRow } from '../analysis/rollup.js';
import type { DeferFile } from '../defer/format.js';
import { isDeferData, parseDeferFile, readDeferFile } from '../defer/read-defer.js';
import { isImportcostError, reportFormatError } from '../errors.js';
import { exportSpeedscope, type SpeedscopeFile } from '../exporters/speedscope.js';
import type { Report } from '../report/format.js';
import { parseReport, readReport, readTextFile } from '../report/read-report.js';
import { checkDepth, ShapeError } from '../report/validate-report.js';
import { IMPORTCOST_VERSION } from '../version.js';

export interface ViewerInput {
  /** Base name for titles: `server` for server.importcost.json. */
  title: string;
  /** The file named on the command line, as given. */
  source: string;
  /** null when only a speedscope file was given. */
  report: Report | null;
  /** summarizePackages(report): the same rows the terminal summary prints, with deferBytes filled in. */
  packages: PackageRow[] | null;
  /** With no report: no profiles (a defer file alone). */
  speedscope: SpeedscopeFile;
  /** What `importcost defer` measured: the file given, or the one written beside the report given. */
  defer: DeferFile | null;
  /**
   * Every process and thread of the run, where the report is a main report that lists more than one
   * (its siblings read from the same folder); the page lets a person pick one. Absent otherwise.
   */
  processes?: ProcessInput[];
}

/** One process or thread the viewer can switch to. */
export interface ProcessInput {
  label: string;
  role: string;
  pid: number;
  threadId: number;
  heapBytes: number;
  modules: number;
  /** Its report, or null where its file could not be read (the page says so). */
  input: ViewerInput | null;
}

const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

/** A speedscope file: its `$schema`, or the shape (shared frames and profiles) when that is missing. */
export function isSpeedscopeFile(data: unknown): data is SpeedscopeFile {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Partial<SpeedscopeFile>;
  if (d.$schema !== undefined && d.$schema !== SPEEDSCOPE_SCHEMA) return false;
  return Array.isArray(d.shared?.frames) && Array.isArray(d.profiles);
}

/**
 * Read `file`: an importcost report (preferred) or a speedscope file. Throws ImportcostError otherwise.
 * `source` names it in messages and on the page (the path as the user gave it).
 */
export function loadViewerInput(file: string, source = file): ViewerInput {
  const input = withDefer(parseViewerInput(readTextFile(file, source), source), file, source);
  const listed = input.report?.processes ?? [];
  if (listed.length <= 1) return input;
  const self = input.report!.process;
  // The other reports of the run, beside this one (profile wrote them together).
  const processes = listed.map((p): ProcessInput => {
    const isSelf = p.pid === self.pid && p.threadId === self.threadId;
    let other: ViewerInput | null = null;
    if (!isSelf) {
      try {
        other = parseViewerInput(readFileSync(join(dirname(file), p.file), 'utf8'), join(dirname(source), p.file));
      } catch {
        other = null;
      }
    }
    return { label: p.label, role: p.role, pid: p.pid, threadId: p.threadId, heapBytes: p.heapBytes, modules: p.modules, input: isSelf ? input : other };
  });
  return { ...input, processes };
}

/**
 * A defer file and the report of the same run, written side by side: each is shown with the other.
 * (Matched by the report's createdAt: a later profile under the same name overwrites the report.)
 */
function withDefer(input: ViewerInput, file: string, source: string): ViewerInput {
  if (input.defer !== null && input.report === null && input.defer.report !== null) {
    const reportFile = join(dirname(file), input.defer.report.file);
    const report = existsSync(reportFile) ? quietly(() => readReport(reportFile)) : null;
    if (report !== null && report.createdAt === input.defer.report.createdAt) return { ...withReport(input.title, source, report), defer: input.defer };
  }
  if (input.report !== null && input.defer === null) {
    const deferFile = join(dirname(file), `${basename(file).replace(/\.importcost\.json$|\.json$/, '')}.defer.json`);
    const defer = existsSync(deferFile) ? quietly(() => readDeferFile(deferFile)) : null;
    if (defer !== null && defer.report?.file === basename(file) && defer.report.createdAt === input.report.createdAt) return { ...input, defer };
  }
  return input;
}

/** A file beside the one given that cannot be read is simply not shown. */
function quietly<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (isImportcostError(err)) return null;
    throw err;
  }
}

function withReport(title: string, source: string, report: Report): ViewerInput {
  // Built from the report rather than read from the sibling .speedscope.json: a sibling can be stale
  // (an older run under the same name), and building it takes milliseconds.
  const packages = summarizePackages(report).map((row) => ({ ...row, deferBytes: deferralSavings(report, row) }));
  return { title, source, report, packages, speedscope: exportSpeedscope(report, title), defer: null };
}

/** Pure: the checks of loadViewerInput on text already read. */
export function parseViewerInput(text: string, source: string): ViewerInput {
  let data: unknown = undefined;
  try {
    data = JSON.parse(text);
  } catch {
    // parseReport below says "not valid JSON (truncated?)".
  }
  if (data !== undefined && isSpeedscopeFile(data)) {
    if (data.profiles.length === 0) {
      throw reportFormatError(`${source} is a speedscope file with no profiles`, 'profile again: importcost profile <entry>');
    }
    try {
      validateSpeedscopeShape(data);
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      throw reportFormatError(`${source} is not a whole speedscope file: ${err.message}`, 'profile again, or pass the <name>.importcost.json written beside it');
    }
    return { title: baseTitle(source), source, report: null, packages: null, speedscope: data, defer: null };
  }
  if (data !== undefined && isDeferData(data)) {
    const defer = parseDeferFile(text, source);
    const title = baseTitle(source);
    const none: SpeedscopeFile = { $schema: SPEEDSCOPE_SCHEMA, name: title, exporter: `importcost@${IMPORTCOST_VERSION}`, activeProfileIndex: 0, shared: { frames: [] }, profiles: [] };
    return { title, source, report: null, packages: null, speedscope: none, defer };
  }
  return withReport(baseTitle(source), source, parseReport(text, source));
}

function baseTitle(file: string): string {
  return basename(file).replace(/\.(importcost|speedscope|defer)\.json$|\.json$/, '');
}

/**
 * What the page and speedscope read of a speedscope file: named frames, and profiles whose samples,
 * weights and events point at frames that exist, with finite numbers (a broken file would otherwise
 * fail in the browser, with nothing said on the command line).
 */
function validateSpeedscopeShape(file: SpeedscopeFile): void {
  checkDepth(file);
  const fail = (path: string, expected: string, got: unknown): never => {
    throw new ShapeError(path, expected, got);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const finite = (v: unknown, path: string): void => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number', v);
  };
  const active = (file as { activeProfileIndex?: unknown }).activeProfileIndex;
  if (active !== undefined && (typeof active !== 'number' || !Number.isInteger(active) || active < 0 || active >= file.profiles.length)) {
    fail('activeProfileIndex', `a profile index (0 to ${file.profiles.length - 1})`, active);
  }
  const frames = file.shared.frames as unknown[];
  frames.forEach((frame, i) => {
    if (!isObject(frame) || typeof frame.name !== 'string') fail(`shared.frames[${i}]`, 'a frame with a name', isObject(frame) ? frame.name : frame);
  });
  const frame = (v: unknown, path: string): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= frames.length) fail(path, `a frame index (0 to ${frames.length - 1})`, v);
  };
  (file.profiles as unknown[]).forEach((profile, i) => {
    const at = `profiles[${i}]`;
    if (!isObject(profile)) return fail(at, 'an object', profile);
    if (typeof profile.name !== 'string') fail(`${at}.name`, 'a string', profile.name);
    if (typeof profile.unit !== 'string') fail(`${at}.unit`, 'a string', profile.unit);
    finite(profile.startValue, `${at}.startValue`);
    finite(profile.endValue, `${at}.endValue`);
    if (profile.type === 'sampled') {
      const { samples, weights } = profile;
      if (!Array.isArray(samples)) return fail(`${at}.samples`, 'an array', samples);
      if (!Array.isArray(weights) || weights.length !== samples.length) return fail(`${at}.weights`, `an array of ${samples.length} weights`, weights);
      samples.forEach((stack: unknown, k) => {
        if (!Array.isArray(stack)) return fail(`${at}.samples[${k}]`, 'an array of frame indexes', stack);
        stack.forEach((f: unknown, j) => frame(f, `${at}.samples[${k}][${j}]`));
      });
      weights.forEach((w: unknown, k) => finite(w, `${at}.weights[${k}]`));
    } else if (profile.type === 'evented') {
      if (!Array.isArray(profile.events)) return fail(`${at}.events`, 'an array', profile.events);
      profile.events.forEach((event: unknown, k) => {
        if (!isObject(event) || (event.type !== 'O' && event.type !== 'C')) return fail(`${at}.events[${k}]`, 'an open (O) or close (C) event', event);
        frame(event.frame, `${at}.events[${k}].frame`);
        finite(event.at, `${at}.events[${k}].at`);
      });
    } else {
      fail(`${at}.type`, '"sampled" or "evented"', profile.type);
    }
  });
}
