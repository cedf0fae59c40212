/**
 * Read a report from text: refuse what is not ours, is truncated, or comes from a newer schema, each
 * with a one-line error (exit 2). @1 reports are migrated to @2.
 */
import { readFileSync } from 'node:fs';
import { reportFormatError } from '../errors.js';
import { REPORT_SCHEMA, type Report } from './format.js';

const SCHEMA_PATTERN = /^importcost-report@(\d+)$/;

/** Parse and check a report's text; `source` names it in errors. Pure. */
export function parseReport(text: string, source: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw reportFormatError(`${source} is not valid JSON (truncated?)`, 'profile again: importcost profile <entry>');
  }
  const schema = (data as { schema?: unknown } | null)?.schema;
  const match = typeof schema === 'string' ? SCHEMA_PATTERN.exec(schema) : null;
  if (!match) {
    throw reportFormatError(`${source} is not an importcost report`, 'pass the <name>.importcost.json that importcost profile wrote');
  }
  const version = Number(match[1]);
  if (version > 2) {
    throw reportFormatError(
      `${source} was written by a newer importcost (schema ${schema}); this one reads ${REPORT_SCHEMA}`,
      'upgrade importcost (npm install -D importcost@latest)',
    );
  }
  const report = data as Report;
  if (!Array.isArray(report.modules) || typeof report.totals !== 'object' || report.totals === null) {
    throw reportFormatError(`${source} is missing its modules or totals`, 'profile again: importcost profile <entry>');
  }
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
