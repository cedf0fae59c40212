/**
 * GitHub Actions output: `::error` workflow commands that put a red line on the import that brings each
 * offending package in, and the markdown summary appended to $GITHUB_STEP_SUMMARY.
 * https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 */
import { appendFileSync } from 'node:fs';
import type { CheckResult } from '../budgets/evaluate-budgets.js';
import { outputError } from '../errors.js';
import { blameOf, describeRow } from './check.js';
import { relPath } from './format-values.js';

export const isGitHubActions = (env: Record<string, string | undefined>): boolean => env.GITHUB_ACTIONS === 'true' || env.GITHUB_ACTIONS === '1';

// Workflow-command escaping, as @actions/core's command.ts does it.
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * One `::error` line per failed budget. File paths are relative to the workspace (GITHUB_WORKSPACE, else
 * `cwd`), which is what GitHub matches against the pull request's files.
 */
export function formatAnnotations(result: CheckResult, workspace: string): string {
  const lines = new Set<string>();
  for (const row of result.rows) {
    if (row.passed) continue;
    const o = row.offender;
    const props: string[] = [];
    // On the line a person edits: the original source's, where the file was compiled or bundled with a map.
    const at = o?.site?.original ?? o?.site;
    if (at) props.push(`file=${escapeProperty(relPath(at.file, workspace))}`, `line=${at.line}`, `col=${at.column}`);
    props.push(`title=${escapeProperty(`importcost: ${row.name}`)}`);
    const blame = blameOf(row);
    const message = [describeRow(row), blame && row.kind !== 'forbid' && row.kind !== 'package' ? blame : null, o ? `via ${o.chain.join(' > ')}` : null]
      .filter(Boolean)
      .join('; ');
    lines.add(`::error ${props.join(',')}::${escapeData(message)}`);
  }
  return lines.size > 0 ? `${[...lines].join('\n')}\n` : '';
}

/** Append markdown to the job's step summary file. */
export function appendStepSummary(file: string, markdown: string): void {
  try {
    appendFileSync(file, `${markdown}\n`);
  } catch (err) {
    throw outputError(`cannot append to GITHUB_STEP_SUMMARY ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path in GITHUB_STEP_SUMMARY');
  }
}
