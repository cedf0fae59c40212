/**
 * Read a `<name>.defer.json`: refuse what is not one, is truncated, or comes from a newer schema, each
 * with a one-line error (exit 2). Pure, but for readDeferFile.
 */
import { reportFormatError } from '../errors.js';
import { readTextFile } from '../report/read-report.js';
import { DEFER_SCHEMA, type DeferFile } from './format.js';

const SCHEMA_PATTERN = /^importcost-defer@(\d+)$/;

/** Whether parsed JSON says it is a defer file (of any version): the viewer tells it from a report by this. */
export function isDeferData(data: unknown): boolean {
  const schema = (data as { schema?: unknown } | null)?.schema;
  return typeof schema === 'string' && SCHEMA_PATTERN.test(schema);
}

/** Parse and check a defer file's text; `source` names it in errors. */
export function parseDeferFile(text: string, source: string): DeferFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw reportFormatError(`${source} is not valid JSON (truncated?)`, 'run importcost defer again');
  }
  const schema = (data as { schema?: unknown } | null)?.schema;
  const match = typeof schema === 'string' ? SCHEMA_PATTERN.exec(schema) : null;
  if (!match) throw reportFormatError(`${source} is not an importcost defer file`, 'pass the <name>.defer.json that importcost defer wrote');
  if (Number(match[1]) > 1) {
    throw reportFormatError(`${source} was written by a newer importcost (schema ${schema}); this one reads ${DEFER_SCHEMA}`, 'upgrade importcost (npm install -D importcost@latest)');
  }
  const defer = data as DeferFile;
  if (!Array.isArray(defer.packages) || typeof defer.asIs !== 'object' || defer.asIs === null) {
    throw reportFormatError(`${source} is missing its packages or its runs as it is`, 'run importcost defer again');
  }
  return defer;
}

export function readDeferFile(file: string, source = file): DeferFile {
  return parseDeferFile(readTextFile(file, source), source);
}
