/**
 * Read a report from text: refuse what is not ours, is truncated, or comes from a newer schema, each
 * with a one-line error (exit 2). Older versions would be migrated here; @1 is the first.
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
  if (version > 1) {
    throw reportFormatError(
      `${source} was written by a newer importcost (schema ${schema}); this one reads ${REPORT_SCHEMA}`,
      'upgrade importcost (npm install -D importcost@latest)',
    );
  }
  const report = data as Report;
  if (!Array.isArray(report.modules) || typeof report.totals !== 'object' || report.totals === null) {
    throw reportFormatError(`${source} is missing its modules or totals`, 'profile again: importcost profile <entry>');
  }
  return report;
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
