/**
 * What `view` and `export --html` show: a report (with its flamegraph built from it), or a speedscope
 * file alone (flamegraph only). Checked before any server starts or file is written, so a foreign,
 * truncated or newer-schema file is one line and exit 2.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { deferralSavings, summarizePackages, type PackageRow } from '../analysis/rollup.js';
import type { DeferFile } from '../defer/format.js';
import { isDeferData, parseDeferFile, readDeferFile } from '../defer/read-defer.js';
import { isImportcostError, reportFormatError } from '../errors.js';
import { exportSpeedscope, type SpeedscopeFile } from '../exporters/speedscope.js';
import type { Report } from '../report/format.js';
import { parseReport, readReport, readTextFile } from '../report/read-report.js';
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
  const input = parseViewerInput(readTextFile(file, source), source);
  // A defer file and the report of the same run, written side by side: each is shown with the other.
  // (Matched by the report's createdAt: a later profile under the same name overwrites the report.)
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
