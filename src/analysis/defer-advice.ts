/**
 * `importcost defer`'s verdict on one package, from the runs: what deferring saved (medians and the
 * spread of the paired runs), whether the program still started, when and where the package was first
 * used, and a note that says what to make of it. Pure: data in, data out.
 */
import type { DeferPackage, DeferSite, FirstUsePhase, RunOutcome, Spread, Suggestion } from '../defer/format.js';
import type { DeferUse } from '../recording/format.js';
import { formatBytes, formatMs } from './names.js';

/** One run of the program, as far as the verdict needs it. */
export interface MeasuredRun {
  /** Heap at the stop point after a full GC, less importcost's own (bytes). */
  heapBytes: number;
  /** Load time of start-up (ms). */
  loadMs: number;
  outcome: RunOutcome;
  /** The package's first use in this run (deferred runs), or null. */
  use: DeferUse | null;
}

/** Why an import could not be deferred in place, where it could not. */
export interface NotMeasurable {
  site: DeferSite;
  /** The statement as written. */
  statement: string;
  reason: 'named-imports' | 'side-effect-import' | 'no-import-defer' | 'not-recognised';
}

export interface AdviceInput {
  name: string;
  version: string;
  predicted: { bytes: number; ms: number };
  /** The runs as it is, in order; and the deferred runs, in order, paired with them (run i with run i). Empty when not measurable. */
  asIs: MeasuredRun[];
  deferred: MeasuredRun[];
  method: DeferPackage['method'];
  suggestions: Suggestion[];
  /** Set when method is 'not-measurable'. */
  notMeasurable: NotMeasurable | null;
  /** Side-effect-only requires among the sites (`require('pkg')` alone): the stand-in skips their effects until first use. */
  sideEffectSites: DeferSite[];
  /** The request sent after start-up (`GET /`), or null when the program did not listen. */
  request: string | null;
  /** For display: paths relative to this folder. */
  cwd: string;
}

export function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  // The lower middle of an even count, as the check command's medians.
  const median = sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, values };
}

/** Whether a deferred run ended as the program does as it is: same stop reason and exit code, and a server still answered. */
export function sameOutcome(asIs: RunOutcome, deferred: RunOutcome): boolean {
  if (asIs.stopReason !== deferred.stopReason || asIs.exitCode !== deferred.exitCode) return false;
  if (asIs.status !== undefined && asIs.status !== null && (deferred.status === undefined || deferred.status === null)) return false;
  return true;
}

const relative = (file: string, cwd: string): string => (file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file);
export const formatDeferSite = (site: DeferSite, cwd: string): string => `${relative(site.file, cwd)}:${site.line}:${site.column}`;

/** How the first use reached the package, in words: `new S3Client`, `pick()`, `a read of VERSION`. */
export function describeUse(use: DeferUse): string {
  const what = use.member ?? use.package;
  const key = use.key ?? '?';
  switch (use.trap) {
    case 'construct':
      return `new ${what}`;
    case 'call':
      return `${what}()`;
    case 'get':
      if (key === 'prototype') return `${what}.prototype: a class extended (or its prototype read) there`;
      if (key === 'Symbol(Symbol.hasInstance)') return `instanceof ${what}`;
      return use.member ? `${use.member}.${key}` : `a read of ${key}`;
    case 'read':
      return `a read of ${key}, a primitive export: no stand-in takes its place`;
    case 'read-exotic':
      return `a read of ${key}, an object whose methods need it as their receiver: no stand-in takes its place`;
    case 'has':
      return `'${key}' in ${what}`;
    case 'ownKeys':
      return `a listing of ${what}'s keys`;
    case 'set':
      return `a write to ${what}.${key}`;
    case 'evaluate':
      return 'a read of the deferred namespace';
    case 'require':
      return 'its require: the module exports a primitive, or an object whose methods need it as their receiver, and no stand-in takes its place';
    default:
      return `${use.trap} on ${what}`;
  }
}

export function buildDeferPackage(input: AdviceInput): DeferPackage {
  const { asIs, deferred, cwd } = input;
  const base = {
    name: input.name,
    version: input.version,
    predicted: input.predicted,
    suggestion: input.suggestions[0] ?? null,
    suggestions: input.suggestions,
    method: input.method,
  };
  if (input.method === 'not-measurable' || deferred.length === 0) {
    const nm = input.notMeasurable;
    const where = nm ? `${formatDeferSite(nm.site, cwd)} (${nm.statement.trim().split('\n')[0]})` : 'its import';
    const why: Record<NotMeasurable['reason'], string> = {
      'named-imports': 'imports bindings by name, which ESM binds when it links the module: a module of stand-ins can serve them on Node 22.15+ (in-thread module hooks, require() of ES modules), and this program runs on an older one',
      'side-effect-import': 'imports it for its side effects only',
      'no-import-defer': '`import defer` needs Node 26.4+ and this program runs on an older one',
      'not-recognised': 'is not a form importcost can make lazy in place',
    };
    return {
      ...base,
      measured: null,
      stillStarts: null,
      outcome: null,
      firstUse: { phase: 'never', site: null, atMs: null, how: null },
      note: `Not measurable in place: ${where} ${nm ? why[nm.reason] : 'could not be deferred'}. The prediction only (${formatBytes(input.predicted.bytes)}); the change below defers it by hand.`,
    };
  }

  const firstBroken = deferred.findIndex((run, i) => !sameOutcome(asIs[i]?.outcome ?? asIs[0]!.outcome, run.outcome));
  const stillStarts = firstBroken < 0;
  const outcome = deferred[stillStarts ? 0 : firstBroken]!.outcome;
  // Heap and load time count only from runs that reached the stop point the program reaches as it is.
  const pairs = deferred
    .map((run, i) => ({ run, asIs: asIs[i] ?? asIs[0]! }))
    .filter((p) => p.run.outcome.stopReason === p.asIs.outcome.stopReason);
  const heap = spreadOf(pairs.map((p) => p.run.heapBytes));
  const load = spreadOf(pairs.map((p) => p.run.loadMs));
  const asIsHeap = spreadOf(asIs.map((r) => r.heapBytes)).median;
  const asIsLoad = spreadOf(asIs.map((r) => r.loadMs)).median;
  const savedBytes = pairs.map((p) => p.asIs.heapBytes - p.run.heapBytes);
  const savedMs = pairs.map((p) => p.asIs.loadMs - p.run.loadMs);
  const measured =
    pairs.length === 0
      ? null
      : {
          bytes: asIsHeap - heap.median,
          ms: asIsLoad - load.median,
          runs: pairs.length,
          bytesRange: [Math.min(...savedBytes), Math.max(...savedBytes)] as [number, number],
          msRange: [Math.min(...savedMs), Math.max(...savedMs)] as [number, number],
          heapBytes: heap,
          loadMs: load,
        };
  // The first use as the first deferred run saw it (the runs agree where the program is deterministic).
  const use = deferred.find((run) => run.use !== null)?.use ?? null;
  const phase: FirstUsePhase = use === null ? 'never' : use.phase;
  const firstUse = { phase, site: use?.site ?? null, atMs: use?.atMs ?? null, how: use ? describeUse(use) : null };
  return { ...base, measured, stillStarts, outcome, firstUse, note: noteFor(input, { stillStarts, outcome, measured, use, asIsOutcome: asIs[0]!.outcome }) };
}

function noteFor(
  input: AdviceInput,
  v: { stillStarts: boolean; outcome: RunOutcome; measured: DeferPackage['measured']; use: DeferUse | null; asIsOutcome: RunOutcome },
): string {
  const { cwd } = input;
  const parts: string[] = [];
  const saved = v.measured ? `${formatBytes(v.measured.bytes)} and ${formatMs(v.measured.ms)} of load time` : 'nothing measurable';
  const predicted = `predicted ${formatBytes(input.predicted.bytes)}`;
  const where = v.use?.site ? ` at ${formatDeferSite(v.use.site, cwd)}` : '';
  const how = v.use ? ` (${describeUse(v.use)})` : '';
  if (!v.stillStarts) {
    const ended = (o: RunOutcome): string =>
      `${o.stopReason}, exit ${o.exitCode}${o.status !== undefined ? `, ${o.status === null ? 'no answer' : `HTTP ${o.status}`}` : ''}`;
    parts.push(
      `Broke with its imports deferred: ${v.outcome.error ?? 'it ended differently'} (as it is: ${ended(v.asIsOutcome)}; deferred: ${ended(v.outcome)}).`,
      `A stand-in is a Proxy: identity (===, Map and Set keys) and Function.prototype.toString see the Proxy, not the value behind it, so code that relies on them behaves differently. Keep this import eager, or change that code${where ? ` (the first use was${where}${how})` : ''}.`,
    );
  } else if (v.use === null) {
    parts.push(`Not used in the run (start-up${input.request ? `, then ${input.request}` : ''}): deferring saved ${saved} (${predicted}). Code paths the run did not take may still use it.`);
  } else if (v.use.phase === 'startup') {
    parts.push(
      `Used during start-up${where}${how}: the import's cost stays unless that line moves out of start-up too (measured ${saved}, ${predicted}).`,
    );
  } else {
    parts.push(`First used after start-up${where}${how}${input.request ? `, serving ${input.request}` : ''}: deferring saved ${saved} (${predicted}).`);
  }
  if (v.use?.error) parts.push(`Loading it at that use threw: ${v.use.error}.`);
  if (input.method === 'import-defer') {
    parts.push('Measured with `import defer`, which defers evaluation only: the modules are still read and compiled at start-up; `await import()` at the use would also save those.');
  }
  if (input.sideEffectSites.length > 0) {
    parts.push(`${input.sideEffectSites.map((s) => formatDeferSite(s, cwd)).join(', ')} require${input.sideEffectSites.length === 1 ? 's' : ''} it for its side effects only: deferred, those wait for its first use.`);
  }
  return parts.join(' ');
}
