// What the agent's event stream (src/agent/event-stream.cts) costs the target: paired runs with the stream
// on, and stubbed off (a script, not a test; run `npm run build` first):
//   node test/bench/stream-off.mjs [pairs=20] [app=startup.cjs]
// The stub is a copy of dist/ whose flush() writes nothing: no loads and no heap readings are streamed,
// while the hello, modules and done records still are, so the CLI still ends the run and writes the
// report. Each pair runs `importcost profile -q --until exit -- node <app>` both ways, in an order that
// alternates, in test/bench/apps, and takes the whole command's wall time and the target's main-thread
// CPU time at its exit (/proc/self/task/<pid>/schedstat, read by a --require of its own). It prints the
// medians and the median of the paired ratios (on / off), with their range and middle half.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pairs = Number(process.argv[2] ?? 20);
const app = process.argv[3] ?? 'startup.cjs';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const apps = join(root, 'test', 'bench', 'apps');
const work = mkdtempSync(join(tmpdir(), 'importcost-stream-off-'));

const off = join(work, 'off');
for (const part of ['dist', 'bin', 'package.json']) cpSync(join(root, part), join(off, part), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(off, 'node_modules'));
const streamFile = join(off, 'dist', 'agent', 'event-stream.cjs');
const source = readFileSync(streamFile, 'utf8');
const stubbed = source.replace(/^(\s+)flush\(\) \{$/m, '$1flush() { stream.nextFlushMs = Infinity; return;');
if (stubbed === source) throw new Error(`flush() not found in ${streamFile}: the stub needs updating`);
writeFileSync(streamFile, stubbed);

const probe = join(work, 'cpu-at-exit.cjs');
writeFileSync(
  probe,
  `process.on('exit', () => {
  const ns = Number(require('node:fs').readFileSync('/proc/self/task/' + process.pid + '/schedstat', 'latin1').split(' ')[0]);
  require('node:fs').writeFileSync(process.env.STREAM_COST_OUT, String(ns / 1e6));
});\n`,
);

const variants = { on: join(root, 'bin', 'importcost.js'), off: join(off, 'bin', 'importcost.js') };
const runs = { on: [], off: [] };
const cpuFile = join(work, 'cpu');
for (let i = 0; i < pairs; i++) {
  for (const name of i % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
    const started = performance.now();
    const run = spawnSync(process.execPath, [variants[name], 'profile', '-q', '--until', 'exit', '-o', join(work, 'out'), '--', process.execPath, '--require', probe, app], {
      cwd: apps,
      env: { ...process.env, STREAM_COST_OUT: cpuFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (run.status !== 0) throw new Error(`importcost (${name}) exited with ${run.status}`);
    runs[name].push({ wall: performance.now() - started, cpu: Number(readFileSync(cpuFile, 'utf8')) });
  }
}
rmSync(work, { recursive: true, force: true });

const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];
for (const [key, label] of [['wall', 'whole command, wall'], ['cpu', "target's main thread, CPU"]]) {
  const ratios = sorted(runs.on.map((r, i) => r[key] / runs.off[i][key]));
  const q = (f) => ratios[Math.floor(f * (ratios.length - 1))].toFixed(3);
  console.log(
    `${label}: median on ${median(runs.on.map((r) => r[key])).toFixed(0)} ms, off ${median(runs.off.map((r) => r[key])).toFixed(0)} ms; ` +
      `paired on/off ${median(ratios).toFixed(3)} (range ${q(0)}-${q(1)}, middle half ${q(0.25)}-${q(0.75)}; ${pairs} pairs)`,
  );
}
