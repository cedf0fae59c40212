/** Shared bits of the check and diff reporters: values in their unit, sites relative to a folder. */
import { relative } from 'node:path';
import { formatBytes, formatMs } from '../analysis/names.js';
import type { BudgetUnit } from '../budgets/evaluate-budgets.js';
import type { ImportSite } from '../report/format.js';

export function formatValue(unit: BudgetUnit, value: number): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'ms') return formatMs(value);
  return String(Math.round(value));
}

export const signed = (unit: BudgetUnit, delta: number): string => `${delta >= 0 ? '+' : '-'}${formatValue(unit, Math.abs(delta))}`;

export function relPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** Where an import stands: in the original source (the `.ts` line) when the file was compiled or bundled with a map. */
export const formatSite = (site: ImportSite | null, cwd: string): string => {
  const at = site?.original ?? site;
  return at ? `${relPath(at.file, cwd)}:${at.line}:${at.column}` : 'the entry';
};
