/**
 * The report as a speedscope file (https://www.speedscope.app/file-format-schema.json, shipped in the
 * speedscope package at dist/release/file-format-schema.json; the tests validate against it).
 * Three profiles over one frame table: retained heap by import chain (sampled, bytes), load time by
 * import chain (sampled, milliseconds), and the load timeline (evented, milliseconds).
 * Frames are modules, never loader internals; heap no module load made gets `(unattributed: x)` frames.
 */
import type { Report } from '../report/format.js';
import { chainOf } from '../analysis/rollup.js';

export interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
  col?: number;
}
export interface SpeedscopeSampled {
  type: 'sampled';
  name: string;
  unit: 'bytes' | 'milliseconds';
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}
export interface SpeedscopeEvented {
  type: 'evented';
  name: string;
  unit: 'milliseconds';
  startValue: number;
  endValue: number;
  events: { type: 'O' | 'C'; frame: number; at: number }[];
}
export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  name: string;
  exporter: string;
  activeProfileIndex: number;
  shared: { frames: SpeedscopeFrame[] };
  profiles: (SpeedscopeSampled | SpeedscopeEvented)[];
}

/** Buckets shown in the flamegraph: program heap that no module load made. The runtime baseline and the
 * agent's own bookkeeping are left out (nothing in the program to change), as is a negative residual. */
const SHOWN_BUCKETS = new Set(['after-startup', 'runtime', 'esm-loader', 'esm-first-use', 'type-stripping', 'sampling-residual']);

export function exportSpeedscope(report: Report, name: string): SpeedscopeFile {
  const frames: SpeedscopeFrame[] = report.modules.map((m) =>
    m.path.startsWith('/') ? { name: m.name, file: m.path, line: 1, col: 1 } : { name: m.name },
  );
  const chains = report.modules.map((m) => chainOf(report, m.id));

  const heap: SpeedscopeSampled = sampled('Retained heap by import chain', 'bytes');
  const time: SpeedscopeSampled = sampled('Load time by import chain (self)', 'milliseconds');
  for (const m of report.modules) {
    if (m.selfBytes > 0) push(heap, chains[m.id]!, m.selfBytes);
    if (m.selfMs > 0) push(time, chains[m.id]!, m.selfMs);
  }
  for (const bucket of report.buckets) {
    if (!SHOWN_BUCKETS.has(bucket.name) || bucket.bytes <= 0) continue;
    frames.push({ name: `(unattributed: ${bucket.name})` });
    push(heap, [frames.length - 1], bucket.bytes);
  }
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    name,
    exporter: `importcost@${report.importcost}`,
    activeProfileIndex: 0,
    shared: { frames },
    profiles: [heap, time, timeline(report)],
  };
}

function sampled(name: string, unit: SpeedscopeSampled['unit']): SpeedscopeSampled {
  return { type: 'sampled', name, unit, startValue: 0, endValue: 0, samples: [], weights: [] };
}

function push(profile: SpeedscopeSampled, stack: number[], weight: number): void {
  profile.samples.push(stack);
  profile.weights.push(weight);
  profile.endValue += weight;
}

/**
 * Modules in the order they loaded, each open for its load. CommonJS loads nest on the stack; ESM loads
 * and loads from callbacks do not, so an interval that would cross its enclosing one is clipped to it
 * (speedscope needs well-nested events).
 */
function timeline(report: Report): SpeedscopeEvented {
  const events: SpeedscopeEvented['events'] = [];
  const order = [...report.modules].sort((a, b) => a.startMs - b.startMs || b.totalMs - a.totalMs);
  const open: { frame: number; end: number }[] = [];
  let last = 0;
  const closeUntil = (t: number): void => {
    while (open.length > 0 && open[open.length - 1]!.end <= t) {
      const top = open.pop()!;
      events.push({ type: 'C', frame: top.frame, at: top.end });
    }
  };
  for (const m of order) {
    const start = Math.max(m.startMs, last);
    closeUntil(start);
    let end = start + spanOf(m);
    const enclosing = open[open.length - 1];
    if (enclosing && end > enclosing.end) end = enclosing.end;
    events.push({ type: 'O', frame: m.id, at: start });
    open.push({ frame: m.id, end });
    last = start;
  }
  closeUntil(Number.POSITIVE_INFINITY);
  const endValue = Math.max(report.totals.wallMs, events.length > 0 ? events[events.length - 1]!.at : 0);
  return { type: 'evented', name: 'Load timeline', unit: 'milliseconds', startValue: 0, endValue, events };
}

/** A module's own span on the timeline: CommonJS loads span their nested loads, ESM loads only their fetch. */
function spanOf(m: Report['modules'][number]): number {
  return m.kind === 'esm' ? m.selfMs : m.totalMs;
}
