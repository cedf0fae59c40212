// The analysis side alone, on a saved recording: what the CLI does after the target has ended.
//   node test/bench/analyze.js <recording.json> <outDir>
// Prints JSON: milliseconds of each step, the process's peak RSS and peak heap, and the sizes written.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildReport } from '../../dist/analysis/build-report.js';
import { exportSpeedscope } from '../../dist/exporters/speedscope.js';
import { gatherFileFacts } from '../../dist/profile/file-facts.js';
import { formatSummary, pickStyle } from '../../dist/reporters/summary.js';
import { IMPORTCOST_VERSION } from '../../dist/version.js';

const [recordingPath, out] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
let heapPeak = 0;
const watchHeap = () => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};
const ms = {};
const step = (name, fn) => {
  const t = performance.now();
  const value = fn();
  ms[name] = performance.now() - t;
  watchHeap();
  return value;
};
const recording = step('readRecording', () => JSON.parse(readFileSync(recordingPath, 'utf8')));
const report = step('buildReport', () =>
  buildReport(recording, gatherFileFacts, { importcost: IMPORTCOST_VERSION, command: ['app.cjs'], exit: { exitCode: 0, signal: null } }),
);
const files = { report: join(out, 'app.importcost.json'), speedscope: join(out, 'app.speedscope.json') };
step('writeReport', () => writeFileSync(files.report, `${JSON.stringify(report, null, 1)}\n`));
step('exportSpeedscope', () => writeFileSync(files.speedscope, JSON.stringify(exportSpeedscope(report, 'app'))));
const summary = step('formatSummary', () =>
  formatSummary(report, { top: 10, style: pickStyle({ isTTY: false }, {}), files: Object.values(files), cwd: out }),
);
const total = Object.values(ms).reduce((a, b) => a + b, 0);
process.stdout.write(
  JSON.stringify({
    ms: { ...ms, total },
    rssBeforeBytes: rssBefore,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes: heapPeak,
    bytes: { recording: statSync(recordingPath).size, report: statSync(files.report).size, speedscope: statSync(files.speedscope).size, summary: Buffer.byteLength(summary) },
    modules: report.modules.length,
  }),
);
