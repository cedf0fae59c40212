/**
 * Read a report from text: refuse what is not ours, is truncated, comes from a newer schema, or breaks
 * the report's shape (report/validate-report.ts), each with a one-line error (exit 2). @1 reports are
 * migrated to @2.
 */
import { readFileSync } from 'node:fs';
import { reportFormatError } from '../errors.js';
import { REPORT_SCHEMA, type Report } from './format.js';
import { ShapeError, validateReportShape } from './validate-report.js';

const SCHEMA_PATTERN = /^importcost-report@(\d+)$/;
const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

/** Parse and check a report's text; `source` names it in errors. Pure. */
export function parseReport(text: string, source: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw reportFormatError(`${source} is not valid JSON (truncated?)`, 'profile again: importcost profile <entry>');
  }
  const schema = typeof data === 'object' && data !== null ? (data as { schema?: unknown }).schema : undefined;
  const match = typeof schema === 'string' ? SCHEMA_PATTERN.exec(schema) : null;
  if (!match) {
    const speedscope = typeof data === 'object' && data !== null && (data as { $schema?: unknown }).$schema === SPEEDSCOPE_SCHEMA;
    throw reportFormatError(
      `${source} is not an importcost report${speedscope ? ' (it is a speedscope file)' : ''}`,
      speedscope ? 'pass the <name>.importcost.json written beside it' : 'pass the <name>.importcost.json that importcost profile wrote',
    );
  }
  const version = Number(match[1]);
  // (A version of a thousand digits is still one short line.)
  const shown = match[0].length > 40 ? `${match[0].slice(0, 37)}...` : match[0];
  if (version < 1) {
    throw reportFormatError(`${source} has an unknown schema (${shown}); this importcost reads importcost-report@1 and @2`, 'pass the <name>.importcost.json that importcost profile wrote');
  }
  if (version > 2) {
    throw reportFormatError(
      `${source} was written by a newer importcost (schema ${shown}); this one reads ${REPORT_SCHEMA}`,
      'upgrade importcost (npm install -D importcost@latest)',
    );
  }
  try {
    validateReportShape(data);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw reportFormatError(`${source} is not a whole importcost report: ${err.message}`, 'profile again (importcost profile <entry>), or pass the report as importcost wrote it');
  }
  const report = data as Report;
  return version === 1 ? migrateFromV1(report) : report;
}

/**
 * @1 -> @2: an @1 report was always of the command's one profiled process, whose heap was read at the
 * end of start-up.
 */
function migrateFromV1(report: Report): Report {
  const old = report as Omit<Report, 'process'> & { process?: Report['process']; pid?: number };
  return {
    ...old,
    schema: REPORT_SCHEMA,
    // Fields @1 gained as it went, absent from the oldest @1 files (which sampled deterministically).
    sampling: { ...old.sampling, mode: old.sampling.mode ?? 'deterministic', unsampledBytes: old.sampling.unsampledBytes ?? 0, exact: old.sampling.exact ?? false },
    totals: { ...old.totals, heap: 'end-of-startup', heapAtMs: old.totals.wallMs },
    process: old.process ?? { pid: 0, ppid: 0, threadId: 0, role: 'main', label: 'main', argv: old.command, launcher: null, parent: null, listen: null },
  };
}

/** Read a file the user named, or fail with one line (`source`: the path as the user gave it). */
export function readTextFile(file: string, source = file): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw reportFormatError(`cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path');
  }
}

/** Read and check a report file. */
export function readReport(file: string): Report {
  return parseReport(readTextFile(file), file);
}
