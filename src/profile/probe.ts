/**
 * A measuring script run in a fresh process of the target's own Node, after the fact and off the
 * program's path (builtin-costs.ts, esm-first-use.ts). Its heap readings must repeat from run to run, as
 * a difference of readings needs: `--no-flush-bytecode`, as the ground truth (else a GC between two loads
 * flushes an earlier one's bytecode: Node 20's perf_hooks read 53 kB or 272 kB); single-threaded and
 * without Sparkplug (with them, Node 26's node:dns read 29 or 446 kB; without, every run the same).
 *
 * Since every run of a given probe on a given node reads the same, its answer is kept in a cache (the
 * system's temporary folder, `importcost-probes-<uid>/`), keyed by the node binary (path, size, modification
 * time) and the probe's input: the builtins' probes took 0.4-0.9 s of a run's end on Node 20 here
 * (two processes, a full GC around each builtin), which a second run of the same program does not pay.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A probe never holds the run up for long. */
const PROBE_TIMEOUT_MS = 10_000;
const FLAGS = ['--expose-gc', '--no-flush-bytecode', '--single-threaded', '--no-sparkplug'];

/** The JSON the script printed, or null where it failed, timed out or printed something else. */
export function runProbe<T>(node: string, args: string[]): Promise<T | null> {
  return new Promise((resolve) => {
    execFile(node, [...FLAGS, ...args], { timeout: PROBE_TIMEOUT_MS, env: {} }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        resolve(null);
      }
    });
  });
}

/**
 * The arguments that run `script` with `input` (its `process.argv[1]`, as JSON) through `-e`, as an ES
 * module where the program's entry is one (Node's ESM loader has then loaded builtins of its own before
 * the first line, as in the program), else as CommonJS (wrapped, so that the script may await).
 */
export function scriptArgs(script: string, esm: boolean, input: unknown): string[] {
  return [`--input-type=${esm ? 'module' : 'commonjs'}`, '-e', esm ? script : `(async () => {${script}})()`, JSON.stringify(input)];
}

/** Bump when a probe's script or its reading changes: older answers are then not used. */
const CACHE_VERSION = 1;

/**
 * `compute()`'s answer for this node and input, from the cache where a run before stored one; a null
 * answer (a failed probe) is not stored. The cache is a convenience: any error reading or writing it
 * only means computing again.
 */
export async function cachedProbe<T>(node: string, input: unknown, compute: () => Promise<T | null>): Promise<T | null> {
  let file: string | null = null;
  try {
    const stat = statSync(node);
    const key = createHash('sha256')
      .update(JSON.stringify([CACHE_VERSION, node, stat.size, stat.mtimeMs, input]))
      .digest('hex')
      .slice(0, 32);
    // One folder per user: another user's answers are neither read nor overwritten.
    file = join(tmpdir(), `importcost-probes-${process.getuid?.() ?? 'user'}`, `${key}.json`);
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    // not there (or no node to stat): compute it
  }
  const answer = await compute();
  if (answer !== null && file !== null) {
    try {
      mkdirSync(join(file, '..'), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(answer));
      renameSync(temporary, file);
    } catch {
      // a read-only or full temporary folder: the next run computes it again
    }
  }
  return answer;
}
