// Paired runs of a few commands, for the probes quoted in NOTES.md (a script, not a test):
//   node test/bench/pair.mjs <rounds> <label>=<command> [<label>=<command> ...]
// Each round runs every command once through /bin/sh in test/bench/apps, in an order that rotates from
// round to round. The first command is the reference: each round's time of every other command is
// divided by the reference's time in that round, and the median of those ratios is printed with their
// range. Two times per run: wall (around the spawn) and CPU (user + system of the whole command and
// everything it started and waited for, from /usr/bin/time). CPU time moves less than wall time when
// other work shares the 2 cores, but not at all only with the instruction counts of callgrind. Example:
//   node test/bench/pair.mjs 11 plain="node startup.cjs" \
//     importcost="node ../../../bin/importcost.js profile -q --until exit -o /tmp/out startup.cjs"
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2]);
const variants = process.argv.slice(3).map((arg) => {
  const at = arg.indexOf('=');
  return { label: arg.slice(0, at), command: arg.slice(at + 1) };
});
if (!(rounds > 0) || variants.length < 2 || variants.some((v) => v.label === '' || v.command === '')) {
  console.error('usage: node test/bench/pair.mjs <rounds> <label>=<command> <label>=<command> [...]');
  process.exit(2);
}
const cwd = join(dirname(fileURLToPath(import.meta.url)), 'apps');
const timeFile = join(tmpdir(), `importcost-pair-${process.pid}`);
const wall = variants.map(() => []);
const cpu = variants.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const i = (k + round) % variants.length;
    const start = performance.now();
    spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, '/bin/sh', '-c', variants[i].command], { stdio: ['ignore', 'ignore', 'inherit'], cwd });
    wall[i].push(performance.now() - start);
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
    cpu[i].push((user + sys) * 1000);
  }
}
rmSync(timeFile, { force: true });
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (times, i) => {
  const ratios = times[i].map((t, round) => t / times[0][round]);
  return `${median(times[i]).toFixed(0)} ms, ratio ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
};
variants.forEach((v, i) => console.log(`${v.label.padEnd(14)} wall ${summary(wall, i)}; cpu ${summary(cpu, i)}`));
