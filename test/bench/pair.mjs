// Paired wall-time runs of a few commands, for the probes quoted in NOTES.md (a script, not a test):
//   node test/bench/pair.mjs <rounds> <label>=<command> [<label>=<command> ...]
// Each round runs every command once through /bin/sh in test/bench/apps, in an order that rotates from
// round to round. The first command is the reference: each round's time of every other command is
// divided by the reference's time in that round, and the median of those ratios is printed with their
// range. Example:
//   node test/bench/pair.mjs 11 plain="node startup.cjs" \
//     importcost="node ../../../bin/importcost.js profile -q --until exit -o /tmp/out startup.cjs"
import { spawnSync } from 'node:child_process';
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
const times = variants.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const i = (k + round) % variants.length;
    const start = performance.now();
    spawnSync('/bin/sh', ['-c', variants[i].command], { stdio: ['ignore', 'ignore', 'inherit'], cwd });
    times[i].push(performance.now() - start);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
variants.forEach((v, i) => {
  const ratios = times[i].map((t, round) => t / times[0][round]);
  const range = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
  console.log(`${v.label.padEnd(14)} median ${median(times[i]).toFixed(0)} ms, ratio ${median(ratios).toFixed(3)} (${range})`);
});
