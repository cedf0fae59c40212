/**
 * What the agent's own builtins cost the program. The agent loads a few public builtins before the
 * program's first line (`v8`, `inspector`, `worker_threads`, `perf_hooks`, and `stream` with them: 0.8 MB
 * on Node 20, 1.1 MB on Node 26, measured one by one in fresh processes), so they are in the baseline,
 * and a program that loads one of them first, or a builtin that needs one, finds it paid for: pino, which
 * loads worker_threads, read -36..-56% against its ground truth on Node 22-26.
 *
 * Measured after the fact, off the program's path: two fresh `node --expose-gc` processes of the target's
 * own binary load the builtins the program loaded, in its order (an ES module program's in source order:
 * run-profile.ts), each between full GCs; the second loads the agent's builtins first. What each builtin costs more in the first is what the agent paid for it.
 */
import { cachedProbe, runProbe, scriptArgs } from './probe.js';

/**
 * Each builtin's retained bytes in a fresh process (after `preload`), loaded in this order. As an ES module
 * where the program's entry is one: Node's ESM loader has then loaded builtins of its own before the
 * program's first line, as it has in the program.
 */
const PROBE = `
const require = process.mainModule?.require ?? (await import('node:module')).createRequire(process.cwd() + '/');
const [preload, names] = JSON.parse(process.argv[1]);
const settle = () => { gc(); return process.memoryUsage().heapUsed; };
for (const name of preload) require(name);
const out = {};
const keep = [];
for (const name of names) {
  const before = settle();
  // An ES import of a builtin builds its facade, which reads every export, lazy getters included.
  keep.push(name.startsWith('import:') ? await import('node:' + name.slice(7)) : require(name));
  out[name] = settle() - before;
}
process.stdout.write(JSON.stringify(out));
`;

function probe(node: string, esm: boolean, preload: string[], names: string[]): Promise<Record<string, number> | null> {
  return runProbe(node, scriptArgs(PROBE, esm, [preload, names]));
}

/**
 * By builtin name (`stream`), the bytes the agent's own builtins took from the program's first load of it
 * (never negative). `names`: the builtins the program loaded, in its order, `import:<name>` where an ES
 * import built its facade (node:process's reads process.stdin, which loads net and the streams: 0.6 MB
 * on Node 22, of which the agent had loaded the streams); `agentBuiltins`: the agent's; `esm`: the
 * program's entry is an ES module.
 * Empty where none of the program's builtins shares anything with the agent's, or where a probe failed.
 */
export async function agentPaidBuiltins(node: string, esm: boolean, names: string[], agentBuiltins: string[]): Promise<Record<string, number>> {
  if (names.length === 0 || agentBuiltins.length === 0) return {};
  // (One GC around each builtin, not two: the same answers to 2 kB on Node 20 and 26, in half the time.)
  const [plain, underAgent] = await Promise.all([
    cachedProbe(node, ['builtins', esm, [], names], () => probe(node, esm, [], names)),
    cachedProbe(node, ['builtins', esm, agentBuiltins, names], () => probe(node, esm, agentBuiltins, names)),
  ]);
  if (!plain || !underAgent) return {};
  // A GC can move bytes from one reading to the next (Node 20: timers/promises -197 kB and process +196
  // kB, every run), so what each builtin gets is how far it raises the running total's highest point so
  // far: a dip and the rise after it cancel out, and the total is the highest point.
  const paid: Record<string, number> = {};
  let total = 0;
  let highest = 0;
  for (const name of names) {
    total += (plain[name] ?? 0) - (underAgent[name] ?? 0);
    const bytes = total - highest;
    // Under 16 kB is the two processes' noise, not the agent's.
    if (bytes >= 16_384) {
      paid[name] = bytes;
      highest = total;
    }
  }
  return paid;
}
