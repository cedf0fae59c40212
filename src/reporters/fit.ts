/**
 * What `importcost fit` prints: a line when the range is set, a line per size as each is decided, then
 * the answer. Plain lines, for any stream (a TTY's progress line is the shared progress reporter's).
 * Sizes are in MiB (2^20 bytes), the unit of --max-old-space-size and of container limits.
 */
import type { FitEvent } from '../fit/run-fit.js';
import type { FitReport, FitStep } from '../fit/format.js';
import { relPath } from './format-values.js';

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** One line (or none) for an event, as it happens. */
export function formatFitEvent(event: FitEvent): string | null {
  switch (event.type) {
    case 'measure':
      return 'importcost fit: a first run with no heap limit, to set --max';
    case 'range': {
      const from = event.maxFrom === 'profile' && event.profiledHeapBytes !== null ? ` (${mib(event.profiledHeapBytes)} of heap at the end of start-up with no limit, times 4)` : '';
      return `importcost fit: searching --max-old-space-size from ${event.minMB} to ${event.maxMB} MiB${from}`;
    }
    case 'step':
      return formatStep(event.step);
    case 'profile':
      return event.after === null
        ? `  profiling at ${event.atMB} MiB: what holds the heap there`
        : `  the profile (its sampler holds heap too) did not get through start-up at ${event.after} MiB; profiling at ${event.atMB} MiB`;
    case 'try':
      return null;
  }
}

export function formatStep(step: FitStep): string {
  const failed = step.tries.find((t) => !t.ok);
  const facts = [
    step.startMs !== null ? `start ${Math.round(step.startMs)} ms` : null,
    step.peakRssBytes !== null ? `peak RSS ${mib(step.peakRssBytes)}` : null,
  ].filter((x) => x !== null);
  const error = failed?.lastError ? `  (${failed.lastError})` : '';
  const label = step.phase === 'recommended' ? ' (recommended)' : '';
  return `  ${String(step.mb).padStart(5)} MiB  ${step.ok ? 'pass' : 'FAIL'}  ${step.reason}${facts.length > 0 ? `; ${facts.join(', ')}` : ''}${label}${error}`;
}

/** The answer, after the steps. */
export function formatFitAnswer(report: FitReport, files: string[], cwd: string): string {
  const lines: string[] = [];
  const min = report.minOldSpaceMB;
  const below = report.steps.find((s) => s.mb === min - 1 && !s.ok);
  const work = report.kind === 'server' ? `starts and answers ${report.search.requests} × GET ${report.search.health}` : 'runs to exit code 0';
  const edge = below ? `; at ${min - 1} MiB: ${below.reason}` : report.atLowerBound ? `; that is --min: it may need less` : '';
  lines.push(`minimum: --max-old-space-size=${min}  (it ${work} at ${min} MiB, every try of ${report.search.tries}${edge})`);
  const r = report.recommended;
  lines.push(`recommended: NODE_OPTIONS=--max-old-space-size=${r.maxOldSpaceMB}, container memory ${r.containerMB} MiB  (${Math.round(r.headroom * 100)}% headroom)`);
  lines.push(`  why: ${r.why}`);
  const at = report.atMinimum;
  if (at) {
    const holders = at.holders
      .slice(0, 3)
      .map((h) => `${h.package} ${mib(h.totalBytes)}`)
      .join(', ');
    const where = at.atMB === min ? `at ${min} MiB` : `at ${at.atMB} MiB (profiled there: the sampler did not fit in ${min})`;
    lines.push(`${where}: ${mib(at.heapBytes)} of heap at the end of start-up${holders ? `; it holds most in ${holders}` : ''}`);
    const d = at.defer;
    if (d.candidates.length > 0) {
      lines.push('  deferring (predicted from the import graph; `importcost defer` measures it):');
      for (const c of d.candidates) {
        lines.push(`    ${c.package.padEnd(32)} -${mib(c.savesBytes)}: a minimum of about ${c.predictedMinOldSpaceMB} MiB  (imported at ${relPath(c.importedAt[0] ?? '?', cwd)})`);
      }
      if (d.candidates.length > 1) {
        lines.push(`    ${`all ${d.candidates.length} together`.padEnd(32)} -${mib(d.savesBytes)}: heap about ${mib(d.predictedHeapBytes)}, a minimum of about ${d.predictedMinOldSpaceMB} MiB`);
      }
    }
  } else {
    lines.push('at the minimum: no profile (it did not get through start-up with the sampler in that heap)');
  }
  lines.push(`container memory: not searched: ${report.container.why}`);
  lines.push(`wrote ${files.map((f) => relPath(f, cwd)).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
